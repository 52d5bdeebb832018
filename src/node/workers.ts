/**
 * Independent work on worker threads: `parallelMap` runs one exported function of a module
 * over a list of inputs, on up to N threads, and returns the results in input order.
 *
 * Used by `greybox fit --starts K --workers N` (restarts) and `--cv K` (folds); any pure
 * function of structured-clonable input works the same way. With one worker the function runs
 * in this thread, so results are identical either way (each call is deterministic for its
 * input: the work is split by input, never by thread).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** A function to run: the module's file URL and the name of its export. */
export interface WorkerTask {
  /** `import.meta.url`-style URL (or absolute path) of the module. */
  readonly module: string;
  /** Name of the exported function `(input) => output | Promise<output>`. */
  readonly name: string;
}

/** Options of {@link parallelMap}. */
export interface ParallelOptions<O> {
  /** Number of worker threads (1: run in this thread; default 1). */
  readonly workers?: number;
  /** Called as each result arrives (in completion order). */
  readonly onResult?: (index: number, output: O) => void;
}

/** What the worker posts back. */
type Reply<O> =
  | { readonly index: number; readonly ok: true; readonly output: O }
  | { readonly index: number; readonly ok: false; readonly message: string; readonly stack: string };

/** A failed input: which one and why (the original message and the worker's stack). */
export class WorkerTaskError extends Error {
  constructor(
    readonly index: number,
    message: string,
    readonly workerStack: string,
  ) {
    super(message);
    this.name = 'WorkerTaskError';
  }
}

/**
 * The number of worker threads to use for `requested` (≥ 1, at most the number of inputs);
 * `0` means one per available core.
 *
 * @example
 * ```ts
 * workerCount(0, 10); // availableParallelism(), at most 10
 * ```
 */
export function workerCount(requested: number, inputs: number): number {
  if (!Number.isInteger(requested) || requested < 0) {
    throw new RangeError(`workers must be a non-negative integer (0 = one per core), got ${requested}`);
  }
  const n = requested === 0 ? availableParallelism() : requested;
  return Math.max(1, Math.min(n, inputs));
}

/**
 * Applies `task` to every input on up to `workers` threads; results come back in input order.
 * The first failure stops every worker and rejects with a {@link WorkerTaskError} naming the
 * input's index.
 *
 * Inputs and outputs cross threads by structured clone: plain objects, arrays, numbers,
 * strings, typed arrays — not class instances or functions. TypeScript modules load in the
 * workers through tsx's loader, as in the main thread.
 *
 * @example
 * ```ts
 * const squares = await parallelMap<number, number>(
 *   { module: new URL('./square.ts', import.meta.url).href, name: 'square' },
 *   [1, 2, 3],
 *   { workers: 2 },
 * );
 * ```
 */
export async function parallelMap<I, O>(
  task: WorkerTask,
  inputs: readonly I[],
  options: ParallelOptions<O> = {},
): Promise<O[]> {
  const outputs = new Array<O>(inputs.length);
  if (inputs.length === 0) return outputs;
  const workers = workerCount(options.workers ?? 1, inputs.length);
  if (workers === 1) {
    const fn = await loadWorkerTask<I, O>(task);
    for (let i = 0; i < inputs.length; i++) {
      try {
        outputs[i] = await fn(inputs[i] as I);
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        throw new WorkerTaskError(i, err.message, err.stack ?? '');
      }
      options.onResult?.(i, outputs[i] as O);
    }
    return outputs;
  }
  // A tiny CommonJS bootstrap registers tsx's loader in the new thread, then loads the entry.
  const entry = new URL('./workerEntry.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  const pool: Worker[] = [];
  let next = 0;
  let done = 0;
  try {
    await new Promise<void>((resolvePromise, reject) => {
      let failed = false;
      const fail = (e: Error) => {
        if (failed) return;
        failed = true;
        reject(e);
      };
      const feed = (w: Worker) => {
        if (next >= inputs.length) return;
        const index = next++;
        w.postMessage({ task, index, input: inputs[index] });
      };
      for (let k = 0; k < workers; k++) {
        const w = new Worker(bootstrap, { eval: true });
        pool.push(w);
        w.on('message', (reply: Reply<O>) => {
          if (!reply.ok) {
            fail(new WorkerTaskError(reply.index, reply.message, reply.stack));
            return;
          }
          outputs[reply.index] = reply.output;
          options.onResult?.(reply.index, reply.output);
          done++;
          if (done === inputs.length) resolvePromise();
          else feed(w);
        });
        w.on('error', (e) => fail(e));
        w.on('exit', (code) => {
          if (code !== 0 && done < inputs.length) fail(new Error(`worker thread exited with code ${code}`));
        });
        feed(w);
      }
    });
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return outputs;
}

/**
 * Imports a task's module and returns its function (used in this thread and by the workers).
 *
 * @example
 * ```ts
 * const square = await loadWorkerTask<number, number>({ module: url, name: 'square' });
 * ```
 */
export async function loadWorkerTask<I, O>(task: WorkerTask): Promise<(input: I) => O | Promise<O>> {
  const mod = (await import(task.module)) as Record<string, unknown>;
  const fn = mod[task.name];
  if (typeof fn !== 'function') {
    throw new Error(`${task.module} has no exported function ${task.name}`);
  }
  return fn as (input: I) => O | Promise<O>;
}
