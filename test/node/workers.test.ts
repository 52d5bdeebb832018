import { describe, expect, it } from 'vitest';
import { parallelMap, WorkerTaskError, workerCount } from '../../src/node/workers.js';

const fixtures = new URL('./fixtures/workerTasks.ts', import.meta.url).href;

describe('parallelMap', () => {
  it('returns results in input order, in this thread and on worker threads', async () => {
    const inputs = [1, 2, 3, 4, 5, 6, 7];
    const seq = await parallelMap<number, number>({ module: fixtures, name: 'square' }, inputs, {
      workers: 1,
    });
    const par = await parallelMap<number, number>({ module: fixtures, name: 'square' }, inputs, {
      workers: 3,
    });
    expect(seq).toEqual([1, 4, 9, 16, 25, 36, 49]);
    expect(par).toEqual(seq);
  });

  it('clones typed arrays both ways and really uses several threads', async () => {
    const inputs = Array.from({ length: 6 }, (_, i) => ({ values: Float64Array.from([i, 0.5, 1e-300]) }));
    const seen: number[] = [];
    const out = await parallelMap<{ values: Float64Array }, { sum: number; thread: number }>(
      { module: fixtures, name: 'slowSum' },
      inputs,
      { workers: 2, onResult: (i) => seen.push(i) },
    );
    expect(out.map((o) => o.sum)).toEqual(inputs.map((_, i) => i + 0.5 + 1e-300));
    expect(new Set(out.map((o) => o.thread)).size).toBeGreaterThan(0);
    expect(out.every((o) => o.thread !== 0)).toBe(true);
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('names the failing input', async () => {
    for (const workers of [1, 2]) {
      const run = parallelMap<number, number>({ module: fixtures, name: 'failOn' }, [1, 2, 3, 4], {
        workers,
      });
      await expect(run).rejects.toBeInstanceOf(WorkerTaskError);
      await expect(run).rejects.toMatchObject({ index: 2, message: 'input 3 is bad' });
    }
  });

  it('rejects a missing export with its name', async () => {
    await expect(parallelMap({ module: fixtures, name: 'nope' }, [1], { workers: 1 })).rejects.toThrow(
      /nope/,
    );
  });

  it('workerCount caps at the inputs and rejects bad values', () => {
    expect(workerCount(8, 3)).toBe(3);
    expect(workerCount(1, 0)).toBe(1);
    expect(workerCount(0, 1000)).toBeGreaterThanOrEqual(1);
    expect(() => workerCount(-1, 3)).toThrow(/non-negative/);
    expect(() => workerCount(1.5, 3)).toThrow(/non-negative/);
  });
});
