/**
 * Ferro quickstart: define models, connect to an embedded SQLite file, create, query,
 * update and delete. Run with `npm run demo` from the repository root.
 */
import { mkdirSync, rmSync } from "node:fs"
import { join } from "node:path"
import { Schema } from "effect"
import {
  Model,
  type ModelClass,
  ModelDoesNotExist,
  ValidationError,
  connect,
  disconnect,
  fetchAll,
  field,
  not,
  sql,
} from "ferro-orm"

class Author extends Model("authors", {
  id: field.id(),
  name: field.text(),
  email: field.text({ unique: true }),
  bio: field.text({ nullable: true }),
  posts: field.backRef((): ModelClass<Post> => Post), // reverse side of Post.author
}) {}

class Post extends Model("posts", {
  id: field.id(),
  title: field.text({ schema: Schema.String.check(Schema.isMinLength(1)) }),
  views: field.int({ default: 0, index: true }),
  published: field.bool({ default: false }),
  createdAt: field.datetime({ defaultNow: true }),
  author: field.foreignKey((): ModelClass<Author> => Author, { relatedName: "posts", onDelete: "cascade" }),
  tags: field.manyToMany((): ModelClass<Tag> => Tag, { relatedName: "posts" }),
}) {}

class Tag extends Model("tags", {
  id: field.id(),
  name: field.text({ unique: true }),
  posts: field.backRef((): ModelClass<Post> => Post),
}) {}

const dataDir = join(process.cwd(), ".demo-data")
rmSync(dataDir, { recursive: true, force: true })
mkdirSync(dataDir, { recursive: true })
const url = `sqlite:${join(dataDir, "quickstart.db")}`

const log = (label: string, value: unknown) => console.log(`${label.padEnd(44)} ${typeof value === "string" ? value : JSON.stringify(value)}`)

await connect(url, { autoMigrate: true })
log("connected (tables created by autoMigrate)", url)

const ada = await Author.create({ name: "Ada Lovelace", email: "ada@example.com" })
const alan = await Author.create({ name: "Alan Turing", email: "alan@example.com", bio: "Computing pioneer" })
log("created authors", [ada.id, alan.id])

const count = await Post.bulkCreate(
  Array.from({ length: 25 }, (_, i) => ({
    title: `Intro to topic ${i + 1}`,
    views: i * 10,
    authorId: i % 2 === 0 ? ada.id : alan.id, // a foreign key takes the related instance or its id
  })),
)
log("bulkCreate inserted posts", count)

const popular = await Post.where((p) => p.views.gte(100).and(p.title.like("Intro%")))
  .orderBy((p) => p.views, "desc")
  .limit(3)
  .all()
log("top 3 posts with >= 100 views", popular.map((p) => `${p.title} (${p.views})`))

log("posts by Ada", await Post.where((p) => p.authorId.eq(ada.id)).count())
log("any unpublished?", await Post.where((p) => not(p.published.eq(true))).exists())

const published = await Post.where((p) => p.views.gte(200)).update({ published: true })
log("published posts with >= 200 views", published)

const bumped = await Post.where((p) => p.published.eq(true)).update({ views: (p) => p.views.add(1) })
log("atomically bumped views on", bumped)

const first = await Post.get(1)
first.title = "Intro, revised"
await first.save()
log("same object from get() and where().first()", first === (await Post.where((p) => p.id.eq(1)).first()))

const [grace, created] = await Author.getOrCreate({ email: "grace@example.com" }, { name: "Grace Hopper" })
log("getOrCreate Grace (created?)", `${grace.name} (${created})`)

const [intro, orm] = [await Tag.create({ name: "intro" }), await Tag.create({ name: "orm" })]
await first.tags.add(intro, orm)
await (await Post.get(3)).tags.add(intro)
log("posts tagged 'intro'", await intro.posts.count())
log("Ada's most viewed post", (await ada.posts.orderBy((p) => p.views, "desc").first())?.title ?? null)

const tagged = await Post.where((p) => p.views.lt(30)).with("author", "tags").orderBy((p) => p.id).all()
log(
  "eager-loaded posts with author and tags",
  await Promise.all(tagged.map(async (p) => `${p.title} by ${(await p.author).name} [${(await p.tags.all()).map((t) => t.name).join(", ")}]`)),
)

try {
  await Post.create({ title: "" , authorId: ada.id })
} catch (error) {
  if (error instanceof ValidationError) log("empty title rejected before any SQL", error.issues)
}

const deleted = await Post.where((p) => p.views.lt(50)).delete()
log("deleted low-traffic posts", deleted)

try {
  await Post.get(2)
} catch (error) {
  if (error instanceof ModelDoesNotExist) log("Post.get(2) after delete", `${error._tag} (pk ${String(error.pk)})`)
}

const rows = await fetchAll(sql`SELECT a.name, COUNT(p.id) AS posts FROM authors a LEFT JOIN posts p ON p.author_id = a.id GROUP BY a.name ORDER BY a.name`)
log("raw SQL: posts per author", rows)

await disconnect()
log("disconnected; database file kept at", join(dataDir, "quickstart.db"))
