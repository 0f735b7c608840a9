// Prefetcher: builds batches in worker threads while the main thread trains (PyTorch's DataLoader num_workers and
// prefetch_factor), deterministically.
//
// The main thread keeps everything that decides *what* a batch is: it pulls jobs from an ordinary iterator (the
// DataLoader's indices, the augmentation parameters drawn from a seeded Generator — all random draws happen there,
// in order). Workers only do the deterministic work of turning a job into a batch, so a batch is the same whether it
// was built by a worker, by the in-thread fallback, or by calling the same function directly.
//
// The worker module is an ES module (.ts works: it is loaded through tsx) whose default export is a factory:
//
//   export default function setup(data: D): (job: J) => B | Promise<B>
//
// `setup` runs once per worker with `workerData` (structured-cloned: put large arrays in SharedArrayBuffers, see
// toShared, and they are shared, not copied). The handler's result is posted back and every non-shared ArrayBuffer
// in it (top level, or inside plain objects and arrays) is transferred, not copied: return fresh arrays, never a
// view of a buffer the worker keeps using.
//
//   const pf = new Prefetcher<Job, Batch>({ worker: new URL('./my-worker.ts', import.meta.url), workerData, depth: 2 });
//   try {
//     for (let epoch = 0; epoch < epochs; epoch++) {
//       const batches = pf.iterate(jobsOfEpoch(), { snapshot: () => loader.state() });
//       for await (const batch of batches) { train(batch); save(batches.state); }
//     }
//   } finally { await pf.close(); }
//
// depth: while the consumer holds batch k, jobs k+1..k+depth are being built (jobs are drawn that far ahead).
// depth 0 runs the same module's handler in the main thread when a batch is requested: the same API, no threads.
// workers: jobs go round-robin to this many threads; batches always come back in job order.
//
// Resuming: the job iterator (and whatever generators it draws from) runs up to `depth` jobs ahead of what the
// consumer has seen. iterate()'s `snapshot` is called right after each job is drawn and the stream's `state` is the
// snapshot of the last batch handed out — exactly what a checkpoint taken after consuming that batch must save —
// and, once the jobs run out and every batch has been consumed, the snapshot taken after the iterator finished.
// After leaving a stream early, restore the job sources from `state` before drawing more (src/train/classify.ts does).
//
// Workers start from prefetch-worker.mjs with an empty execArgv; it registers tsx (resolved from deepten's own
// node_modules) when the job module is TypeScript, since a loader given to the parent does not reach a worker.
//
// Lifecycle: workers start when the Prefetcher is made and live until close() (one-shot prefetch() closes them when
// its iteration ends, breaks or fails). Leaving a stream early (break, return(), an exception in the loop body)
// discards its in-flight jobs (workers skip the ones not yet started). Idle workers are unref'd, so a forgotten
// close() never keeps the process alive. A failing job or a crashed worker rejects with an Error naming the
// Prefetcher, the job (numbered from 0 over the Prefetcher's life) and the cause (the original error is its
// `cause`); a crashed worker also closes the Prefetcher.
import { Worker } from 'node:worker_threads';
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Turns one job into one batch; runs in a worker (or in the main thread when depth is 0). */
export type PrefetchHandler<J, B> = (job: J) => B | Promise<B>;
/** The worker module's default export: called once per worker with workerData. */
export type PrefetchSetup<J, B, D = unknown> = (data: D) => PrefetchHandler<J, B> | Promise<PrefetchHandler<J, B>>;

export interface PrefetcherOptions {
  /** The worker module: a URL, a file: URL string or a file path. Its default export is a PrefetchSetup. */
  worker: URL | string;
  /** Passed to the module's setup (cloned into each worker; SharedArrayBuffer-backed arrays are shared). */
  workerData?: unknown;
  /** Batches in flight beyond the one being consumed (default 2); 0 = build each batch in the main thread on demand. */
  depth?: number;
  /** Worker threads (default 1); ignored when depth is 0. */
  workers?: number;
  /** Names the Prefetcher in error messages. */
  name?: string;
}

export interface IterateOptions<S> {
  /** Called after each job is drawn (and once before the first, and once after the last); see `state`. */
  snapshot?: () => S;
}

type TypedArray = Float32Array | Float64Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array | Uint8ClampedArray;

/** The same values in a SharedArrayBuffer (the array itself when it already is shared), so workers see it without a copy. */
export function toShared<T extends TypedArray>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const Ctor = a.constructor as new (b: SharedArrayBuffer) => T;
  const out = new Ctor(new SharedArrayBuffer(a.byteLength));
  out.set(a as ArrayLike<number> as never);
  return out;
}

const bootUrl = new URL('./prefetch-worker.mjs', import.meta.url);

function moduleUrl(m: URL | string): string {
  if (m instanceof URL) return m.href;
  return /^file:/.test(m) ? m : pathToFileURL(resolvePath(m)).href;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

interface Pending { resolve: (v: any) => void; reject: (e: Error) => void }

export class Prefetcher<J, B> {
  readonly name: string;
  readonly depth: number;
  readonly workers: number;
  private readonly module: string;
  private readonly data: unknown;
  private threads: Worker[] = [];
  private pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  /** Bumped when a stream ends early; workers skip queued jobs of older generations. */
  private readonly generation = new Int32Array(new SharedArrayBuffer(4));
  private handler: Promise<PrefetchHandler<J, B>> | null = null;
  private active: PrefetchStream<J, B, unknown> | null = null;
  /** Reasons to keep each thread ref'd (an idle worker is unref'd so it never keeps the process alive). */
  private holds = new Map<Worker, number>();

  constructor(opts: PrefetcherOptions) {
    this.name = opts.name ?? 'Prefetcher';
    this.depth = opts.depth ?? 2;
    this.workers = opts.workers ?? 1;
    if (!Number.isInteger(this.depth) || this.depth < 0) throw new Error(`Prefetcher '${this.name}': depth must be a non-negative integer, got ${opts.depth}`);
    if (!Number.isInteger(this.workers) || this.workers < 1) throw new Error(`Prefetcher '${this.name}': workers must be a positive integer, got ${opts.workers}`);
    if (!opts.worker) throw new Error(`Prefetcher '${this.name}': the worker option (module URL or path) is required`);
    this.module = moduleUrl(opts.worker);
    this.data = opts.workerData;
    if (this.depth > 0) for (let i = 0; i < this.workers; i++) this.threads.push(this.spawn(i));
  }

  private spawn(i: number): Worker {
    // execArgv []: the boot script registers tsx itself (a loader passed by --import does not reach a worker's entry)
    const w = new Worker(bootUrl, { workerData: { module: this.module, data: this.data, generation: this.generation }, execArgv: [] });
    w.unref();
    w.on('message', (m: { id: number; result?: unknown; error?: { name: string; message: string; stack?: string } }) => {
      const p = this.pending.get(m.id);
      if (!p) return; // a discarded job
      this.pending.delete(m.id);
      if (m.error) {
        const cause = Object.assign(new Error(m.error.message), { name: m.error.name, stack: m.error.stack });
        p.reject(new Error(`Prefetcher '${this.name}': job ${m.id} failed in worker ${i}: ${m.error.message}`, { cause }));
      } else p.resolve(m.result);
    });
    w.on('messageerror', (e) => this.fail(new Error(`Prefetcher '${this.name}': a batch from worker ${i} could not be received: ${message(e)}`, { cause: e })));
    w.on('error', (e) => this.fail(new Error(`Prefetcher '${this.name}': worker ${i} failed: ${message(e)}`, { cause: e })));
    w.on('exit', (code) => this.fail(new Error(`Prefetcher '${this.name}': worker ${i} exited unexpectedly (code ${code})`)));
    return w;
  }

  /** ref()/unref() are switches, not counts: count here, so a consumer done waiting cannot unref a thread close() waits on. */
  private hold(t: Worker | undefined): void {
    if (!t) return;
    const n = this.holds.get(t) ?? 0;
    if (n === 0) t.ref();
    this.holds.set(t, n + 1);
  }

  private release(t: Worker | undefined): void {
    if (!t) return;
    const n = this.holds.get(t) ?? 0;
    if (n === 1) t.unref();
    if (n <= 1) this.holds.delete(t); else this.holds.set(t, n - 1);
  }

  /** A crashed worker breaks the Prefetcher: every pending and later job rejects with this error. */
  private fail(e: Error): void {
    if (this.closed || this.failure) return;
    this.failure = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    void this.close();
  }

  /** Starts building a job; in-thread mode never calls this. */
  private submit(job: J): { id: number; thread: Worker | undefined; promise: Promise<B> } {
    const id = this.nextId++;
    const thread = this.threads[id % this.workers]; // undefined once closed
    const promise = new Promise<B>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      if (this.closed) return reject(new Error(`Prefetcher '${this.name}': closed`));
      this.pending.set(id, { resolve, reject });
      try {
        thread!.postMessage({ id, gen: Atomics.load(this.generation, 0), job });
      } catch (e) {
        this.pending.delete(id);
        reject(new Error(`Prefetcher '${this.name}': job ${id} cannot be sent to a worker: ${message(e)}`, { cause: e }));
      }
    });
    promise.catch(() => {}); // surfaces when the consumer awaits it, not as an unhandled rejection
    return { id, thread, promise };
  }

  /** Builds a job in the main thread (depth 0). */
  private async runHere(job: J): Promise<B> {
    const k = this.nextId++;
    this.handler ??= import(this.module).then(async (m) => {
      if (typeof m.default !== 'function') throw new Error(`${this.module} has no default export (data) => (job) => batch`);
      const h = await m.default(this.data);
      if (typeof h !== 'function') throw new Error(`the default export of ${this.module} did not return a function`);
      return h as PrefetchHandler<J, B>;
    }).catch((e) => { throw new Error(`Prefetcher '${this.name}': cannot set up ${this.module}: ${message(e)}`, { cause: e }); });
    const handle = await this.handler;
    try {
      return await handle(job);
    } catch (e) {
      throw new Error(`Prefetcher '${this.name}': job ${k} failed: ${message(e)}`, { cause: e });
    }
  }

  /**
   * Streams the batches of `jobs` in order. One stream at a time: finish or return() the previous one first.
   * The jobs iterator is pulled in the main thread, up to `depth` jobs ahead of the consumer.
   */
  iterate<S = undefined>(jobs: Iterable<J> | Iterator<J>, opts: IterateOptions<S> = {}): PrefetchStream<J, B, S> {
    if (this.failure) throw this.failure;
    if (this.closed) throw new Error(`Prefetcher '${this.name}': closed`);
    if (this.active) throw new Error(`Prefetcher '${this.name}': the previous iteration is still running; finish it or call its return() first`);
    const it = Symbol.iterator in jobs ? (jobs as Iterable<J>)[Symbol.iterator]() : (jobs as Iterator<J>);
    const s = new PrefetchStream<J, B, S>(it, opts.snapshot, {
      depth: this.depth,
      submit: (job) => this.submit(job),
      hold: (t) => this.hold(t),
      release: (t) => this.release(t),
      runHere: (job) => this.runHere(job),
      cancel: (ids) => {
        Atomics.add(this.generation, 0, 1);
        for (const id of ids) this.pending.delete(id);
      },
      ended: () => { if (this.active === s) this.active = null; },
    });
    this.active = s as PrefetchStream<J, B, unknown>;
    return s;
  }

  /** Terminates the workers (waits for them to stop). Idempotent. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    const err = this.failure ?? new Error(`Prefetcher '${this.name}': closed`);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    const threads = this.threads;
    this.threads = [];
    // ref: an unref'd thread's exit would not keep the event loop alive for whoever awaits close()
    this.closing = Promise.all(threads.map((t) => { t.removeAllListeners('exit'); this.hold(t); return t.terminate(); })).then(() => undefined);
    return this.closing;
  }
}

interface StreamHooks<J, B> {
  depth: number;
  submit(job: J): { id: number; thread: Worker | undefined; promise: Promise<B> };
  runHere(job: J): Promise<B>;
  hold(t: Worker | undefined): void;
  release(t: Worker | undefined): void;
  cancel(ids: number[]): void;
  ended(): void;
}

interface InFlight<B, S> { id: number; thread: Worker | undefined; promise: Promise<B>; snap: S | undefined }

/** The batches of one job iterator, in order. `state` is the snapshot belonging to the last batch handed out. */
export class PrefetchStream<J, B, S> implements AsyncIterableIterator<B> {
  /** Snapshot after the last consumed job (before the first: the one taken at the start; after the end: the final one). */
  state: S | undefined;
  private queue: InFlight<B, S>[] = [];
  private jobsDone = false;
  private endState: S | undefined;
  private finished = false;
  /** Called when the stream ends in any way (one-shot prefetch() closes its Prefetcher here). */
  onEnd: (() => Promise<void> | void) | null = null;

  constructor(private readonly jobs: Iterator<J>, private readonly snapshot: (() => S) | undefined, private readonly hooks: StreamHooks<J, B>) {
    this.state = snapshot?.();
  }

  [Symbol.asyncIterator](): this { return this; }

  private pull(): IteratorResult<J> {
    const r = this.jobs.next();
    if (r.done) { this.jobsDone = true; this.endState = this.snapshot?.(); }
    return r;
  }

  async next(): Promise<IteratorResult<B>> {
    if (this.finished) return { done: true, value: undefined };
    try {
      if (this.hooks.depth === 0) {
        const r = this.pull();
        if (r.done) return await this.end(true);
        const snap = this.snapshot?.();
        const value = await this.hooks.runHere(r.value);
        this.state = snap;
        return { done: false, value };
      }
      // keep the job being handed out plus `depth` more in flight
      while (!this.jobsDone && this.queue.length < this.hooks.depth + 1) {
        const r = this.pull();
        if (r.done) break;
        const snap = this.snapshot?.();
        this.queue.push({ ...this.hooks.submit(r.value), snap });
      }
      const head = this.queue.shift();
      if (!head) return await this.end(true);
      // a worker is unref'd while idle; while the consumer waits on it, it must keep the process alive
      this.hooks.hold(head.thread);
      let value: B;
      try { value = await head.promise; } finally { this.hooks.release(head.thread); }
      this.state = head.snap;
      return { done: false, value };
    } catch (e) {
      await this.end(false);
      throw e;
    }
  }

  /** Ends the stream early: in-flight jobs are discarded, `state` stays at the last consumed batch. */
  async return(): Promise<IteratorResult<B>> {
    return this.end(false);
  }

  private async end(natural: boolean): Promise<IteratorResult<B>> {
    if (!this.finished) {
      this.finished = true;
      if (natural) this.state = this.endState;
      else {
        this.hooks.cancel(this.queue.map((q) => q.id));
        this.queue = [];
        // as for a for-of loop that breaks: the job iterator gets its return()
        if (!this.jobsDone) this.jobs.return?.();
      }
      this.hooks.ended();
      await this.onEnd?.();
    }
    return { done: true, value: undefined };
  }
}

/** One-shot: streams `jobs` through a new Prefetcher and closes it when the iteration ends, breaks or fails. */
export function prefetch<J, B, S = undefined>(jobs: Iterable<J> | Iterator<J>, opts: PrefetcherOptions & IterateOptions<S>): PrefetchStream<J, B, S> {
  const pf = new Prefetcher<J, B>(opts);
  const s = pf.iterate(jobs, opts);
  s.onEnd = () => pf.close();
  return s;
}
