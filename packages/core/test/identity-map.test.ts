/**
 * IdentityMap: one primary key, one object per connection, held weakly so instances no one
 * references are collected. The GC tests need `--expose-gc` (set in vitest.config.ts).
 */
import { describe, expect, test } from "vitest"
import { IdentityMap, Model, field } from "@ferro/core/internal"

class Thing extends Model("identity_map_things", { id: field.id(), name: field.text() }) {}

const forceGc = (): (() => void) => {
  const gc = globalThis.gc
  if (gc === undefined) throw new Error("global.gc is missing: run the core tests with --expose-gc")
  return gc
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * Collects garbage until `done()` holds or the bound is reached. WeakRef targets stay alive
 * until the current job ends and finalisers run in later tasks, so yield between rounds.
 */
const collectUntil = async (done: () => boolean, rounds = 50): Promise<void> => {
  const gc = forceGc()
  for (let round = 0; round < rounds && !done(); round++) {
    await tick()
    gc()
    await tick()
  }
}

/** Registers `count` model instances nobody else references (kept in this frame only). */
const fillWithGarbage = (map: IdentityMap, table: string, count: number, firstPk = 0): void => {
  for (let i = 0; i < count; i++) map.set(table, firstPk + i, new Thing({ id: firstPk + i, name: `thing ${i}` }))
}

describe("IdentityMap basics", () => {
  test("get returns the instance set for (table, pk), and undefined otherwise", () => {
    const map = new IdentityMap()
    const thing = new Thing({ id: 1, name: "one" })
    expect(map.get("things", 1)).toBeUndefined()
    map.set("things", 1, thing)
    expect(map.get("things", 1)).toBe(thing)
    expect(map.get("things", 2)).toBeUndefined()
    expect(map.get("others", 1)).toBeUndefined()
  })

  test("keys are per table and compare primary keys by value (numbers, bigints, strings)", () => {
    const map = new IdentityMap()
    const a = { a: 1 }
    const b = { b: 1 }
    const c = { c: 1 }
    const d = { d: 1 }
    map.set("t1", 1, a)
    map.set("t2", 1, b)
    map.set("t1", 2n ** 60n, c)
    map.set("t1", "0b6f2b9e-8d3c-4c1a-9f5e-2a7d3c4b5e6f", d)
    expect(map.get("t1", 1)).toBe(a)
    expect(map.get("t2", 1)).toBe(b)
    expect(map.get("t1", 2n ** 60n)).toBe(c)
    expect(map.get("t1", "0b6f2b9e-8d3c-4c1a-9f5e-2a7d3c4b5e6f")).toBe(d)
    expect(map.size("t1")).toBe(3)
    expect(map.size("t2")).toBe(1)
    expect(map.size()).toBe(4)
  })

  test("set replaces the instance for a key; setting the same instance again is a no-op", () => {
    const map = new IdentityMap()
    const first = { v: 1 }
    const second = { v: 2 }
    map.set("t", 1, first)
    map.set("t", 1, first)
    expect(map.size("t")).toBe(1)
    map.set("t", 1, second)
    expect(map.get("t", 1)).toBe(second)
    expect(map.size("t")).toBe(1)
  })

  test("evict forgets one key and leaves the others", () => {
    const map = new IdentityMap()
    const one = { v: 1 }
    const two = { v: 2 }
    map.set("t", 1, one)
    map.set("t", 2, two)
    map.evict("t", 1)
    expect(map.get("t", 1)).toBeUndefined()
    expect(map.get("t", 2)).toBe(two)
    expect(map.size("t")).toBe(1)
    expect(() => map.evict("t", 99)).not.toThrow()
    expect(() => map.evict("unknown", 1)).not.toThrow()
  })

  test("live lists the live instances of one table by primary key", () => {
    const map = new IdentityMap()
    const one = new Thing({ id: 1, name: "one" })
    const two = new Thing({ id: 2, name: "two" })
    const other = new Thing({ id: 1, name: "other" })
    map.set("things", 1, one)
    map.set("things", 2, two)
    map.set("others", 1, other)
    expect(map.live("things")).toEqual([
      [1, one],
      [2, two],
    ])
    expect(map.live("things")[0]?.[1]).toBe(one)
    expect(map.live("nothing")).toEqual([])
  })

  test("clear forgets every instance of every table", () => {
    const map = new IdentityMap()
    const keep = [{ v: 1 }, { v: 2 }, { v: 3 }]
    map.set("a", 1, keep[0]!)
    map.set("a", 2, keep[1]!)
    map.set("b", 1, keep[2]!)
    map.clear()
    expect(map.size()).toBe(0)
    expect(map.get("a", 1)).toBeUndefined()
    expect(map.live("b")).toEqual([])
    // Usable again after clear.
    map.set("a", 1, keep[0]!)
    expect(map.get("a", 1)).toBe(keep[0])
  })
})

describe("IdentityMap holds instances weakly", () => {
  test("instances nobody references are collected and their entries removed", async () => {
    const map = new IdentityMap()
    fillWithGarbage(map, "identity_map_things", 200)
    const kept = new Thing({ id: 1000, name: "kept" })
    map.set("identity_map_things", 1000, kept)
    expect(map.size("identity_map_things")).toBe(201)

    await collectUntil(() => map.size("identity_map_things") <= 1)

    expect(map.size("identity_map_things")).toBe(1)
    expect(map.size()).toBe(1)
    // The referenced instance survives, still the one object for its key.
    expect(map.get("identity_map_things", 1000)).toBe(kept)
    expect(map.live("identity_map_things")).toEqual([[1000, kept]])
    expect(map.get("identity_map_things", 0)).toBeUndefined()
  })

  test("a collected instance's finaliser does not remove a newer instance set for the same key", async () => {
    const map = new IdentityMap()
    fillWithGarbage(map, "identity_map_things", 50)
    // Replace the garbage for pk 0..9 with live instances before collection.
    const replacements = Array.from({ length: 10 }, (_, i) => new Thing({ id: i, name: `new ${i}` }))
    replacements.forEach((r, i) => map.set("identity_map_things", i, r))

    await collectUntil(() => map.size("identity_map_things") <= 10)

    expect(map.size("identity_map_things")).toBe(10)
    replacements.forEach((r, i) => expect(map.get("identity_map_things", i)).toBe(r))
  })

  test("evicted and cleared entries stay gone after their instances are collected", async () => {
    const map = new IdentityMap()
    fillWithGarbage(map, "a", 20)
    fillWithGarbage(map, "b", 20)
    map.evict("a", 0)
    map.clear()
    const kept = { v: "kept" }
    map.set("a", 0, kept)
    await collectUntil(() => false, 5)
    expect(map.size()).toBe(1)
    expect(map.get("a", 0)).toBe(kept)
  })
})
