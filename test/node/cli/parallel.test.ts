import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Io, runCli } from '../../../src/node/cli/main.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    now: () => '2026-11-22T00:00:00.000Z',
  };
  const code = await runCli(argv, io);
  return { code, out, err };
}

/** Rows without their wall-clock seconds (the only field allowed to differ between runs). */
const timeless = (rows: Record<string, unknown>[]) => rows.map(({ seconds: _, ...rest }) => rest);

describe('greybox fit: restarts and cross-validation folds on worker threads', () => {
  it('gives the same restarts, the same winner and the same model.json on 1 and 2 threads', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'greybox-par-')), 'proj');
    expect((await cli('init', dir)).code).toBe(0);
    const config = join(dir, 'greybox.yaml');
    const run = async (workers: string, out: string) => {
      const r = await cli(
        '--json',
        'fit',
        '--config',
        config,
        '--epochs',
        '3',
        '--starts',
        '3',
        '--workers',
        workers,
        '--cv',
        '2',
        '--out',
        join(dir, out),
        '--no-report',
      );
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      return JSON.parse(r.out);
    };
    const one = await run('1', 'one');
    const two = await run('2', 'two');
    expect(one.starts.map((s: { seed: number }) => s.seed)).toEqual([0, 1, 2]);
    expect(timeless(two.starts)).toEqual(timeless(one.starts));
    expect(two.seed).toBe(one.seed);
    const best = Math.min(...one.starts.map((s: { score: number }) => s.score));
    expect(one.starts.find((s: { seed: number }) => s.seed === one.seed).score).toBe(best);
    // The restarts differ (different seeds), so choosing among them means something.
    expect(new Set(one.starts.map((s: { score: number }) => s.score)).size).toBe(3);
    const model = (out: string) => JSON.parse(readFileSync(join(dir, out, 'model.json'), 'utf8'));
    expect(model('two').parameters).toEqual(model('one').parameters);
    expect(model('two').networks).toEqual(model('one').networks);
    expect(model('one').seed).toBe(one.seed);

    expect(one.crossValidation.k).toBe(2);
    expect(timeless(two.crossValidation.folds)).toEqual(timeless(one.crossValidation.folds));
    expect(two.crossValidation.mean).toBe(one.crossValidation.mean);
    const held = one.crossValidation.folds.flatMap((f: { heldOut: string[] }) => f.heldOut).sort();
    expect(new Set(held).size).toBe(held.length);
    expect(held.length).toBe(8);
    for (const f of one.crossValidation.folds) expect(Number.isFinite(f.loss)).toBe(true);
  }, 180_000);

  it('rejects a fold count out of range with the reason', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'greybox-par-')), 'proj');
    await cli('init', dir);
    const r = await cli('fit', '--config', join(dir, 'greybox.yaml'), '--cv', '99');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--cv must be from 2 to the number of subjects \(8\); got 99/);
  });
});
