/**
 * Messages between the parent and a contestant's child process (Node IPC, JSON).
 *
 * @module
 */
import type { WorkloadId } from "./workloads.js"

export type Phase = "warmup" | "count" | "measure"

export type ToChild =
  | { readonly type: "run"; readonly workload: WorkloadId; readonly sample: number; readonly phase: Phase }
  | { readonly type: "close" }

export type SampleOutcome =
  | {
      readonly type: "result"
      readonly ms: number
      readonly count: number
      /** Counting run only; null when the contestant cannot count statements. */
      readonly statements?: number | null
      /** Memory workloads: heap bytes held by the result (after gc); the stream: peak above the baseline during it. */
      readonly memoryBytes?: number
      /** The stream's counting run: peak of what is still referenced (sampled after a gc) above the baseline. */
      readonly liveMemoryBytes?: number
      /** Counting run: statements issued while walking the loaded children (should be none). */
      readonly lateStatements?: number
    }
  | { readonly type: "unsupported" }
  | { readonly type: "failed"; readonly error: string }

export type FromChild =
  | { readonly type: "ready"; readonly notes: string }
  | { readonly type: "unavailable"; readonly reason: string }
  | SampleOutcome
  | { readonly type: "closed" }
