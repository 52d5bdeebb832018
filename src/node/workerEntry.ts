/**
 * The body of a `parallelMap` worker thread: receives `{ task, index, input }`, runs the
 * task's function and posts `{ index, ok, output }` (or the error's message and stack).
 */
import { parentPort } from 'node:worker_threads';
import { loadWorkerTask, type WorkerTask } from './workers.js';

if (parentPort === null) throw new Error('workerEntry.ts runs only as a worker thread');
const port = parentPort;

port.on('message', async (message: { task: WorkerTask; index: number; input: unknown }) => {
  try {
    const fn = await loadWorkerTask<unknown, unknown>(message.task);
    const output = await fn(message.input);
    port.postMessage({ index: message.index, ok: true, output });
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    port.postMessage({ index: message.index, ok: false, message: err.message, stack: err.stack ?? '' });
  }
});
