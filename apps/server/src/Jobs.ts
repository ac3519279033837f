import { randomUUID } from "node:crypto"
import {
  emptyProgress,
  Progress,
  type ProgressState,
  progressSnapshot,
  trackProgress,
} from "@mixpanel-data/core"
import {
  Cause,
  Clock,
  Context,
  Deferred,
  Effect,
  Exit,
  Fiber,
  Layer,
  Option,
  Queue,
  type Scope,
  Stream,
} from "effect"
import type { Job, JobStatus } from "./Api.js"
import { JobNotFound } from "./errors.js"
import type { JobSpec, ValidJob } from "./job-requests.js"

/** Runs one job's work; the manager provides the Progress sink and handles cancellation. */
export type JobWork = (
  spec: JobSpec,
) => Effect.Effect<
  Readonly<Record<string, unknown>>,
  { readonly _tag: string; readonly message: string },
  Scope.Scope
>

export interface JobsShape {
  /** Queues an already validated job (FIFO; one job writes at a time). */
  readonly submit: (job: ValidJob) => Effect.Effect<Job>
  readonly get: (id: string) => Effect.Effect<Job, JobNotFound>
  readonly list: Effect.Effect<ReadonlyArray<Job>>
  /** Queued: dropped. Running: interrupted, and this waits until the work has stopped. */
  readonly cancel: (id: string) => Effect.Effect<Job, JobNotFound>
  /** The job's snapshots as they change, ending after the final one. */
  readonly changes: (id: string) => Effect.Effect<Stream.Stream<Job>, JobNotFound>
  readonly counts: Effect.Effect<{ readonly queued: number; readonly running: number }>
}

export class Jobs extends Context.Service<Jobs, JobsShape>()("@mixpanel-data/server/Jobs") {}

const terminal: ReadonlySet<JobStatus> = new Set(["succeeded", "failed", "cancelled"])
/** Finished jobs kept for GET /jobs/{id}; older ones are forgotten. */
const keepFinished = 200

interface Entry {
  job: Job
  readonly spec: JobSpec
  /** The folded progress events of a running job (its ETA is worked out when read). */
  progress: () => ProgressState
  /** Completed and replaced on every change: waiters wake up and read the latest snapshot. */
  changed: Deferred.Deferred<void>
  fiber: Fiber.Fiber<unknown, unknown> | undefined
  /** Completed when the job reached a terminal state. */
  done: Deferred.Deferred<void>
}

const failureOf = (cause: Cause.Cause<{ readonly _tag: string; readonly message: string }>) => {
  const error = Cause.findErrorOption(cause)
  if (error._tag === "Some") return { _tag: error.value._tag, message: error.value.message }
  return { _tag: "Defect", message: Cause.pretty(cause).split("\n")[0] ?? "unexpected failure" }
}

export const make = (work: JobWork) =>
  Effect.gen(function* () {
    const entries = new Map<string, Entry>()
    const queue = yield* Queue.unbounded<string>()
    const scope = yield* Effect.scope

    const update = (entry: Entry, patch: Partial<Job>) =>
      Effect.gen(function* () {
        entry.job = { ...entry.job, ...patch }
        const previous = entry.changed
        entry.changed = yield* Deferred.make<void>()
        yield* Deferred.succeed(previous, undefined)
        if (terminal.has(entry.job.status)) yield* Deferred.succeed(entry.done, undefined)
      })

    const forgetOld = () => {
      const finished = [...entries.values()].filter((e) => terminal.has(e.job.status))
      for (const e of finished.slice(0, Math.max(0, finished.length - keepFinished))) {
        entries.delete(e.job.id)
      }
    }

    const lookup = (id: string) =>
      Effect.suspend(() => {
        const entry = entries.get(id)
        return entry === undefined
          ? Effect.fail(new JobNotFound({ message: `No job with id "${id}".`, id }))
          : Effect.succeed(entry)
      })

    const runOne = (entry: Entry) =>
      Effect.gen(function* () {
        if (entry.job.status !== "queued") return
        yield* update(entry, { status: "running", startedAt: new Date().toISOString() })
        const reporter = trackProgress((state, _event, now) =>
          update(entry, { progress: progressSnapshot(state, now) }),
        )
        entry.progress = reporter.current
        const fiber = yield* Effect.forkChild(
          Effect.scoped(work(entry.spec)).pipe(Effect.provideService(Progress, reporter)),
        )
        entry.fiber = fiber
        const exit = yield* Fiber.await(fiber)
        entry.fiber = undefined
        const finishedAt = new Date().toISOString()
        // Nothing is left of a finished job; a stopped one has no time left to tell.
        const ended = (etaMs: number | null) => ({
          finishedAt,
          progress: { ...entry.job.progress, waiting: null, etaMs },
        })
        if (Exit.isSuccess(exit)) {
          yield* update(entry, { status: "succeeded", ...ended(0), result: { ...exit.value } })
        } else if (Cause.hasInterruptsOnly(exit.cause)) {
          yield* update(entry, { status: "cancelled", ...ended(null) })
        } else {
          yield* update(entry, { status: "failed", ...ended(null), error: failureOf(exit.cause) })
        }
        forgetOld()
      })

    // The single writer: jobs run one after another in submission order.
    yield* Effect.forkIn(
      Effect.forever(
        Effect.flatMap(Queue.take(queue), (id) => {
          const entry = entries.get(id)
          return entry === undefined ? Effect.void : runOne(entry)
        }),
      ),
      scope,
    )

    const submit = ({ request, spec }: ValidJob) =>
      Effect.gen(function* () {
        const entry: Entry = {
          job: {
            id: randomUUID(),
            status: "queued",
            request,
            createdAt: new Date().toISOString(),
            startedAt: null,
            finishedAt: null,
            progress: progressSnapshot(emptyProgress, 0),
            result: null,
            error: null,
          },
          spec,
          progress: () => emptyProgress,
          changed: yield* Deferred.make<void>(),
          done: yield* Deferred.make<void>(),
          fiber: undefined,
        }
        entries.set(entry.job.id, entry)
        yield* Queue.offer(queue, entry.job.id)
        return entry.job
      })

    const cancel = (id: string) =>
      Effect.gen(function* () {
        const entry = yield* lookup(id)
        if (entry.job.status === "queued") {
          yield* update(entry, { status: "cancelled", finishedAt: new Date().toISOString() })
        } else if (entry.job.status === "running") {
          const fiber = entry.fiber
          if (fiber !== undefined) yield* Fiber.interrupt(fiber)
          yield* Deferred.await(entry.done)
        }
        return entry.job
      })

    const changes = (id: string) =>
      Effect.map(lookup(id), (entry) =>
        Stream.paginate<Job | undefined, Job>(undefined, (sent) =>
          Effect.gen(function* () {
            // Wait for a change unless there is news since the last snapshot sent.
            if (sent === entry.job) yield* Deferred.await(entry.changed)
            const job = entry.job
            const more = !terminal.has(job.status)
            return [[job], more ? Option.some(job) : Option.none()] as const
          }),
        ),
      )

    const counts = Effect.sync(() => {
      let queued = 0
      let running = 0
      for (const e of entries.values()) {
        if (e.job.status === "queued") queued++
        if (e.job.status === "running") running++
      }
      return { queued, running }
    })

    /** A running job's progress is as of now: its time left counts down between events. */
    const current = (entry: Entry, now: number): Job =>
      entry.job.status === "running"
        ? { ...entry.job, progress: progressSnapshot(entry.progress(), now) }
        : entry.job

    return Jobs.of({
      submit,
      get: (id) =>
        Effect.flatMap(lookup(id), (e) =>
          Effect.map(Clock.currentTimeMillis, (now) => current(e, now)),
        ),
      list: Effect.map(Clock.currentTimeMillis, (now) =>
        [...entries.values()].map((e) => current(e, now)),
      ),
      cancel,
      changes,
      counts,
    })
  })

export const layer = (work: JobWork) => Layer.effect(Jobs, make(work))
