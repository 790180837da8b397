/**
 * Ferro's side of the `upsert` and `stream` workloads, written exactly as SPEC §2 spells the API
 * ("Writes beyond save" and "Streaming"):
 *
 * - upsert: `UpsertItem.bulkCreate(items, { onConflict: { on: ["key"], update: ["value", "label"] } })`,
 *   one multi-row `INSERT … ON CONFLICT (key) DO UPDATE` per batch, resolving to a number;
 * - stream: `StreamRow.select().orderBy((r) => r.id).stream({ batchSize })`, an async iterable of
 *   `StreamRow` instances (identity map on, as the connection has it), and its partial-select
 *   form `StreamRow.select((r) => ({ id: r.id, n: r.n, label: r.label })).stream({ batchSize })`
 *   (plain objects, not in the identity map).
 *
 * Until that API is in the build this file does not type-check (the only file of the bench that
 * does not, besides `ferro-query-power.ts` on a build without the query-power API). It links at
 * run time (it imports nothing the build lacks): `ferro.ts` loads it with a dynamic `import()`
 * and runs the probes after connecting, and reports a workload as not run ("–", the reason in
 * the contestant's notes) when the import or its probe fails.
 *
 * @module
 */
import type { StreamFold } from "../contestant.js"
import type { UpsertRow } from "../data.js"
import { StreamRow, UpsertItem } from "../schema/ferro-models.js"

/** Merge `value` and `label` into the row that has the key already (its id is kept). */
const MERGE = { onConflict: { on: ["key"], update: ["value", "label"] } } as const

/** Rows written (inserted or merged): SPEC, "bulkCreate … rows inserted". */
export const upsert = async (rows: ReadonlyArray<UpsertRow>): Promise<number> => await UpsertItem.bulkCreate(rows, MERGE)

/** Every row as a `StreamRow` instance, `batchSize` rows per fetch, none kept. */
export const stream = async (fold: StreamFold, batchSize: number): Promise<void> => {
  for await (const row of StreamRow.select()
    .orderBy((r) => r.id)
    .stream({ batchSize })) {
    fold.add(row.id, row.n)
  }
}

/** Every row as a plain `{ id, n, label }` (a partial select: no instances, no identity map). */
export const streamPartial = async (fold: StreamFold, batchSize: number): Promise<void> => {
  for await (const row of StreamRow.select((r) => ({ id: r.id, n: r.n, label: r.label }))
    .orderBy((r) => r.id)
    .stream({ batchSize })) {
    fold.add(row.id, row.n)
  }
}

const PROBE_KEY = "__ferro_bench_probe__"

/**
 * Probes: each throws, naming what is missing, unless this build has the API its workload uses.
 * The upsert probe writes: it upserts one key twice and reads it back (today's `bulkCreate`
 * ignores its second argument, so the second call is a `UniqueViolation`), then deletes it (the
 * child resets `upsert_items` before every sample anyway).
 */
export const probeUpsert = async (): Promise<void> => {
  try {
    await UpsertItem.bulkCreate([{ key: PROBE_KEY, value: 1, label: "probe 1" }], MERGE)
    await UpsertItem.bulkCreate([{ key: PROBE_KEY, value: 2, label: "probe 2" }], MERGE)
    const rows = await UpsertItem.where((i) => i.key.eq(PROBE_KEY)).all()
    if (rows.length !== 1 || rows[0]!.value !== 2 || rows[0]!.label !== "probe 2") {
      throw new Error(
        `bulkCreate(items, { onConflict: { on: ["key"], update: [...] } }) did not merge: ${rows.length} rows, ${rows.map((r) => `${r.value} '${r.label}'`).join(", ")}`,
      )
    }
  } finally {
    await UpsertItem.where((i) => i.key.eq(PROBE_KEY)).delete()
  }
}

export const probeStream = (): void => {
  const query = StreamRow.select().orderBy((r) => r.id)
  if (typeof query.stream !== "function") throw new Error("queries have no stream()")
}

export const probeStreamPartial = (): void => {
  const query = StreamRow.select((r) => ({ id: r.id, n: r.n, label: r.label })).orderBy((r) => r.id)
  if (typeof query.stream !== "function") throw new Error("partial selects have no stream()")
}
