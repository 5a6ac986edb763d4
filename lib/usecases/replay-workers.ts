/**
 * Input for `rsr replay` and `rsr tune` with the fast path (lib/adapters/io/fast-read.ts) spread over worker threads,
 * one file per task.
 *
 * Invariant: the items yielded are, as a multiset, those the ordinary reader (readInputs) gives for the same paths —
 * counting a `{ skip, count }` item as `count` skips — and input errors are reported in input order. Files finish in
 * any order on the workers, but results are handed on in input order, and counting (countRecords) does not depend on
 * the order of records anyway (window.ts invariant 3): the output is the same whatever the number of workers.
 *
 * A worker runs the very script that started it (the bundled CLI): loading it with WORKER_FLAG in workerData makes
 * it serve read requests instead of running a command. Without a script (in-process callers, tests under ts-jest)
 * or with `workers: 0`, files are read in this thread with the same fast path.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { type FileResult, fastPathEligible, readFileFast } from '../adapters/io/fast-read';
import { expandPaths } from '../adapters/io/paths';
import { MAX_DOCUMENT_BYTES, type ReadOptions, readInputBatches } from '../adapters/io/read';
import { InputError } from '../engine/errors';
import type { ReplayItem } from './replay';

export const WORKER_FLAG = 'rsrReadWorker';
/** Below this much input (stored bytes of fast-path files), starting workers costs more than it saves. */
export const WORKER_MIN_BYTES = 8 * 1024 * 1024;

export interface FastInputOptions extends ReadOptions {
  /** Worker threads to use; 0 reads in this thread. */
  readonly workers: number;
  /** Script a worker loads (the bundled CLI); undefined reads in this thread. */
  readonly workerScript?: string;
  /** Fast-path input (stored bytes) below which workers are not started (default WORKER_MIN_BYTES). */
  readonly minWorkerBytes?: number;
}

interface Request {
  readonly id: number;
  readonly path: string;
  readonly maxBytes: number;
}
interface Reply {
  readonly id: number;
  readonly result?: FileResult;
  readonly failure?: string;
}

/** The worker side: answer read requests until the parent closes the port. */
function serve(): void {
  parentPort?.on('message', (request: Request) => {
    readFileFast(request.path, request.maxBytes).then(
      (result) => parentPort?.postMessage({ id: request.id, result } satisfies Reply),
      (error: unknown) => parentPort?.postMessage({ id: request.id, failure: String(error) } satisfies Reply),
    );
  });
}

if (!isMainThread && (workerData as Record<string, unknown> | null)?.[WORKER_FLAG] === true) serve();

/** A fixed set of workers taking file reads in turn; a read whose worker fails is redone in this thread. */
class ReadPool {
  private readonly idle: Worker[] = [];
  private readonly queue: { request: Request; resolve: (r: FileResult) => void }[] = [];
  private readonly pending = new Map<number, { request: Request; resolve: (r: FileResult) => void }>();
  private readonly workers: Worker[] = [];
  private nextId = 0;

  constructor(script: string, size: number) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(script, { workerData: { [WORKER_FLAG]: true } });
      worker.on('message', (reply: Reply) => this.done(worker, reply));
      worker.on('error', () => this.lost(worker));
      // An exit we did not ask for (close() removes the workers first) must not leave reads waiting for ever.
      worker.on('exit', () => this.lost(worker));
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  read(path: string, maxBytes: number): Promise<FileResult> {
    return new Promise((resolve) => {
      this.queue.push({ request: { id: this.nextId++, path, maxBytes }, resolve });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop() as Worker;
      const task = this.queue.shift() as (typeof this.queue)[number];
      this.pending.set(task.request.id, task);
      worker.postMessage(task.request);
    }
    // Nothing can take the queue any more: read it here.
    if (this.workers.length === 0) for (const task of this.queue.splice(0)) this.local(task);
  }

  private local(task: { request: Request; resolve: (r: FileResult) => void }): void {
    readFileFast(task.request.path, task.request.maxBytes).then(task.resolve, () =>
      task.resolve({ records: [], skipped: {}, errors: [{ path: task.request.path, message: 'could not be read' }] }),
    );
  }

  private done(worker: Worker, reply: Reply): void {
    const task = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    this.idle.push(worker);
    if (task !== undefined) {
      if (reply.result !== undefined) task.resolve(reply.result);
      else this.local(task);
    }
    this.dispatch();
  }

  /** A worker died (it never should): its reads are redone here, the others carry on. */
  private lost(worker: Worker): void {
    const index = this.workers.indexOf(worker);
    if (index === -1) return;
    this.workers.splice(index, 1);
    const at = this.idle.indexOf(worker);
    if (at !== -1) this.idle.splice(at, 1);
    // Which request it held is unknown from the event: redo every pending read here. A live worker's late answer
    // for one of them then finds no task and is dropped, so a read is handed on once, at the price of some reads
    // done twice (a worker dying is already the exception).
    for (const [id, task] of this.pending) {
      this.pending.delete(id);
      this.local(task);
    }
    this.dispatch();
  }

  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

function* itemsOf(result: FileResult, onError: (e: InputError) => void): Generator<ReplayItem> {
  for (const e of result.errors) onError(new InputError(e.path, e.message));
  for (const [skip, count] of Object.entries(result.skipped)) {
    yield { skip: skip as Extract<ReplayItem, { skip: unknown }>['skip'], count: count as number };
  }
  for (const record of result.records) yield { record };
}

/** Records and skips of all inputs (see the invariant at the top), fast-path files read on workers when worthwhile. */
export async function* readInputsFast(
  paths: readonly string[],
  options: FastInputOptions,
): AsyncGenerator<ReplayItem, void, undefined> {
  const maxBytes = options.maxDocumentBytes ?? MAX_DOCUMENT_BYTES;
  const targets = [];
  for await (const target of expandPaths(paths, options.onError, options.onSkippedFile)) targets.push(target);
  const fastBytes = targets.reduce(
    (sum, t) => sum + (t.kind === 'file' && fastPathEligible(t.path, t.size, maxBytes) ? t.size : 0),
    0,
  );
  const useWorkers =
    options.workerScript !== undefined &&
    options.workers > 0 &&
    fastBytes >= (options.minWorkerBytes ?? WORKER_MIN_BYTES);
  const pool = useWorkers ? new ReadPool(options.workerScript as string, options.workers) : undefined;
  // Reads in flight ahead of the one being handed on: enough to keep every worker busy, bounded for memory.
  const ahead = Math.max(1, options.workers) * 2;
  let done = 0;
  const progress = (bytes: number, source: string) => {
    done += bytes;
    options.onProgress?.(done, source);
  };
  const inFlight: { path: string; size: number; result: Promise<FileResult> }[] = [];
  const start = (t: { path: string; size: number }) =>
    inFlight.push({ ...t, result: pool ? pool.read(t.path, maxBytes) : readFileFast(t.path, maxBytes) });
  try {
    let next = 0;
    while (next < targets.length || inFlight.length > 0) {
      while (next < targets.length && inFlight.length < ahead) {
        const t = targets[next] as (typeof targets)[number];
        if (t.kind !== 'file' || !fastPathEligible(t.path, t.size, maxBytes)) break;
        start(t);
        next++;
      }
      const head = inFlight.shift();
      if (head !== undefined) {
        const result = await head.result;
        progress(head.size, head.path);
        yield* itemsOf(result, options.onError);
        continue;
      }
      // Not a fast-path file, and everything before it is handed on: the ordinary (streaming) reader, in order.
      const t = targets[next++] as (typeof targets)[number];
      const reader = readInputBatches([t.path], {
        ...options,
        onProgress: options.onProgress && ((bytes, source) => options.onProgress?.(done + bytes, source)),
      });
      for await (const batch of reader) {
        for (const skip of batch.skipped) yield { skip };
        for (const record of batch.records) yield { record };
      }
      if (t.kind === 'file') done += t.size;
    }
  } finally {
    await pool?.close();
  }
}
