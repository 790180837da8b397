/**
 * `Operation<A, E>`: what every Ferro terminal and mutation returns. It is a Promise (it starts
 * at once, so `await` costs no Effect fiber) and an Effect (`yield* Post.get(1)` in
 * `Effect.gen`, failing with Ferro's typed errors). The transaction in effect where the
 * operation is created — AsyncLocalStorage for Promise code, the fiber's transaction for
 * Effect code — goes with it through all of its statements.
 *
 * @module
 */
import { Effect, Effectable, Fiber, Tracer } from "effect"
import type {
  CheckViolation,
  ConnectionError,
  DeadlockDetected,
  ForeignKeyViolation,
  LockTimeout,
  MigrationError,
  ModelDefinitionError,
  ModelDoesNotExist,
  NotNullViolation,
  QueryError,
  SerializationFailure,
  StatementTimeout,
  TransactionError,
  UniqueViolation,
  ValidationError,
} from "./errors.js"
import { FerroError } from "./errors.js"
import { type StatementRecorder, recordStatements } from "./observe.js"
import { type Session, currentSession, runInSession } from "./session-context.js"
import { type TransactionScope, currentTransaction, runInTransaction } from "./transaction-context.js"

/** Every error an operation can fail with, for `Effect.catchTag`. */
export type FerroFailure =
  | ModelDoesNotExist
  | ValidationError
  | UniqueViolation
  | ForeignKeyViolation
  | NotNullViolation
  | CheckViolation
  | ConnectionError
  | QueryError
  | TransactionError
  | SerializationFailure
  | DeadlockDetected
  | LockTimeout
  | StatementTimeout
  | MigrationError
  | ModelDefinitionError

/** A Promise of `A` that is also an `Effect<A, E>`. */
export interface Operation<A, E = FerroFailure> extends Promise<A>, Effect.Effect<A, E> {}

const settle = <A>(promise: Promise<A>): Effect.Effect<A, FerroFailure> =>
  Effect.flatMap(
    Effect.promise(() =>
      promise.then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
    ),
    (result) =>
      result.ok
        ? Effect.succeed(result.value)
        : result.error instanceof FerroError
          ? Effect.fail(result.error as FerroFailure)
          : Effect.die(result.error),
  )

const promiseThen = Promise.prototype.then

/** One shared rejection handler (not a closure per operation: every point lookup makes one). */
const ignore = (): void => {}

/** Runs an operation's body; a body that throws instead of rejecting still gives a rejection. */
const runBody = <A>(run: () => Promise<A>): Promise<A> => {
  try {
    return run()
  } catch (error) {
    return Promise.reject(error)
  }
}

/** Runs an operation's body in `scope` and `session` (an operation started away from where it was created). */
const runBodyIn = <A>(scope: TransactionScope | undefined, session: Session | undefined, run: () => Promise<A>): Promise<A> =>
  runBody(() => (session === undefined ? runInTransaction(scope, run) : runInSession(session, () => runInTransaction(scope, run))))

/** The span attributes naming the table of an operation's model class (none when it cannot be resolved). */
const collection = (subject: unknown): Record<string, unknown> => {
  try {
    const table = (subject as { readonly metadata?: { readonly table?: unknown } } | null | undefined)?.metadata?.table
    return typeof table === "string" ? { "db.collection.name": table } : {}
  } catch {
    return {} // a model that cannot be built: the operation fails with the reason
  }
}

/** The SQL keyword a statement starts with (`SELECT`, `INSERT`, …), upper case. */
const keyword = (sql: string): string => /^\s*(?:\(\s*)*([A-Za-z]+)/.exec(sql)?.[1]?.toUpperCase() ?? ""

/**
 * Records an Effect operation's statements on its span, as OpenTelemetry's database
 * attributes: `db.system.name` (from the dialect), `db.query.text` (the SQL, placeholders and
 * no values; several statements joined with `"; "`) and `db.operation.name` (the statements'
 * distinct keywords, e.g. `SELECT` or `SELECT INSERT`).
 */
const spanRecorder = (span: Tracer.Span): StatementRecorder => {
  const texts: Array<string> = []
  const keywords: Array<string> = []
  return {
    connection: (connection) => {
      span.attribute("db.system.name", connection.driver.dialect.system)
    },
    statement: (statement) => {
      if (!texts.includes(statement.sql)) {
        texts.push(statement.sql)
        span.attribute("db.query.text", texts.join("; "))
      }
      const word = keyword(statement.sql)
      if (word !== "" && !keywords.includes(word)) {
        keywords.push(word)
        span.attribute("db.operation.name", keywords.join(" "))
      }
    },
  }
}

class OperationImpl<A> extends Promise<A> {
  static override get [Symbol.species](): PromiseConstructor {
    return Promise
  }
  declare run: () => Promise<A>
  declare resolveWith: (value: A) => void
  declare rejectWith: (error: unknown) => void
  declare started: boolean
  /** The transaction current where the operation was created. */
  declare createdIn: TransactionScope | undefined
  /** The session current where the operation was created. */
  declare createdInSession: Session | undefined

  /**
   * Starts the operation (once) in `scope` and `session`; without them, in the calling code's
   * own context (Promise code creating it: its transaction and session are already current,
   * so the hot path enters no AsyncLocalStorage scope of its own).
   */
  start(inPlace: boolean, scope?: TransactionScope, session?: Session, recorder?: StatementRecorder): void {
    if (this.started) return
    this.started = true
    const running = inPlace
      ? runBody(this.run)
      : recorder === undefined
        ? runBodyIn(scope, session, this.run)
        : recordStatements(recorder, () => runBodyIn(scope, session, this.run))
    // A direct reaction settles this promise one microtask sooner than resolving it with the
    // running promise (which would queue a thenable job first).
    promiseThen.call(running, this.resolveWith, this.rejectWith)
  }

  override then<T1 = A, T2 = never>(
    onfulfilled?: ((value: A) => T1 | PromiseLike<T1>) | null,
    onrejected?: ((reason: unknown) => T2 | PromiseLike<T2>) | null,
  ): Promise<T1 | T2> {
    // `await` may call this a microtask later, outside the fiber: use where it was created.
    this.start(false, this.createdIn, this.createdInSession)
    return promiseThen.call(this, onfulfilled, onrejected) as Promise<T1 | T2>
  }

  declare yielded: boolean
  /** The operation's name: its span is `ferro.<name>`. */
  declare name: string
  /** The model class it works on (its table is `db.collection.name`), when it has one. */
  declare subject: unknown

  /**
   * What the operation does as an Effect, evaluated by the fiber running it: the body, in a
   * span named `ferro.<name>` that records its statements. (The Promise path never gets here:
   * no fiber, no span.)
   */
  asEffect(): Effect.Effect<A, FerroFailure> {
    return Effect.useSpan(
      `ferro.${this.name}`,
      { kind: "client", attributes: collection(this.subject) },
      (span) => {
        // With Effect's default tracer no backend sees the span: skip recording its statements.
        const recorder =
          span.sampled && Fiber.getCurrent()?.getRef(Tracer.Tracer) !== Tracer.nativeTracer ? spanRecorder(span) : undefined
        if (!this.yielded) {
          this.yielded = true
          // Not started yet (created in a fiber): run in the transaction of the fiber yielding it.
          this.start(false, currentTransaction(), currentSession(), recorder)
          return settle(this as Promise<A>)
        }
        // Already run (e.g. the Effect is retried): run it again, in the fiber's transaction.
        const again = () => runBodyIn(currentTransaction(), currentSession(), this.run)
        return settle(recorder === undefined ? again() : recordStatements(recorder, again))
      },
    )
  }
}
// The Effect side: Effect's prototype for custom Effect values (what `Effectable.Class` and
// `Effectable.Mixin` use), copied onto this Promise subclass. A fiber evaluating the
// operation (`yield*`, `Effect.runPromise`, combinators) calls `asEffect` at that moment.
const EffectPrototype = Effectable.Prototype<Operation<unknown, FerroFailure>>({
  label: "FerroOperation",
  evaluate() {
    return (this as unknown as OperationImpl<unknown>).asEffect()
  },
})
for (const key of Reflect.ownKeys(EffectPrototype)) {
  if (key !== "constructor") {
    Object.defineProperty(OperationImpl.prototype, key, Object.getOwnPropertyDescriptor(EffectPrototype, key)!)
  }
}

/**
 * Wraps `run` as an {@link Operation}. Created by Promise code it starts at once (an
 * ordinary, eager Promise); created inside an Effect fiber it starts when it is yielded or
 * awaited, so it runs in the transaction in effect at that point — as an Effect should.
 * `name` names its span (`ferro.<name>`, e.g. `all`, `get`, `save`) and `model` is the model
 * class it works on (its table is the span's `db.collection.name`; read only on the Effect path).
 */
export const operation = <A>(run: () => Promise<A>, name = "operation", model?: unknown): Operation<A> => {
  let resolveWith!: (value: A) => void
  let rejectWith!: (error: unknown) => void
  const op = new OperationImpl<A>((resolve, reject) => {
    resolveWith = resolve
    rejectWith = reject
  })
  op.run = run
  op.resolveWith = resolveWith
  op.rejectWith = rejectWith
  op.started = false
  op.yielded = false
  op.name = name
  op.subject = model
  // A rejected operation that is only ever used as an Effect must not be "unhandled".
  promiseThen.call(op, undefined, ignore)
  if (Fiber.getCurrent() === undefined) {
    // Promise code: it starts here, in the caller's transaction and session.
    op.createdIn = undefined
    op.createdInSession = undefined
    op.start(true)
    // Started already, so `await` may adopt it as a plain Promise (PromiseResolve reads
    // `constructor`): one reaction instead of a thenable job calling `then()`, which has nothing
    // left to start.
    ;(op as { constructor: unknown }).constructor = Promise
  } else {
    // Created in a fiber: remembered for an `await` that starts it later, outside the fiber
    // (through `then()`, so `constructor` stays the subclass; set here too, so every operation
    // has one shape).
    op.createdIn = currentTransaction()
    op.createdInSession = currentSession()
    ;(op as { constructor: unknown }).constructor = OperationImpl
  }
  return op as unknown as Operation<A>
}

/** {@link operation} with its span's name and table first (what call sites with long bodies read best). */
export const namedOperation = <A>(name: string, model: unknown, run: () => Promise<A>): Operation<A> =>
  operation(run, name, model)
