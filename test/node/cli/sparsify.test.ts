import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

/** A chain u → a → b → y with a redundant state c feeding b, and an observable reading y. */
const MODEL = `model chain
param k = 1
input u
state a = 0
state b = 0
state c = 0
state y = 0
d/dt a = u - k * a
d/dt b = a - b + 0.1 * c
d/dt c = -c
d/dt y = b - y
obs Y = y ~ normal(0.1)
`;

/** Euler-simulated sequences (truth: c absent), one row per 0.5 time units, wide layout. */
function dataCsv(subjects: number, samples: number, missing = false): string {
  const rows = ['id,time,Y,u'];
  for (let s = 0; s < subjects; s++) {
    let a = 0;
    let b = 0;
    let y = 0;
    for (let j = 0; j < samples; j++) {
      const u = Math.sin(0.3 * j + s) > 0.3 ? 1 : 0;
      const yv = missing && s === 1 && j === 3 ? '' : y.toFixed(6);
      rows.push(`${s},${(0.5 * j).toFixed(1)},${yv},${u}`);
      for (let q = 0; q < 5; q++) {
        const da = u - a;
        const db = a - b;
        const dy = b - y;
        a += 0.1 * da;
        b += 0.1 * db;
        y += 0.1 * dy;
      }
    }
  }
  return `${rows.join('\n')}\n`;
}

function project(missing = false): { dir: string; model: string; data: string } {
  const dir = mkdtempSync(join(tmpdir(), 'greybox-sparsify-'));
  const model = join(dir, 'chain.gbx');
  const data = join(dir, 'data.csv');
  writeFileSync(model, MODEL);
  writeFileSync(data, dataCsv(4, 30, missing));
  return { dir, model, data };
}

describe('greybox sparsify', () => {
  it('writes the pruned model, the drawings and a table of states and edges; folds on 1 or 2 threads agree', async () => {
    const p = project();
    const run = async (workers: string, out: string) => {
      const r = await cli(
        '--json',
        'sparsify',
        '--model',
        p.model,
        '--data',
        p.data,
        '--history',
        '6',
        '--horizon',
        '4',
        '--lambda1',
        '0,0.2',
        '--folds',
        '2',
        '--epochs',
        '3',
        '--workers',
        workers,
        '--out',
        join(p.dir, out),
      );
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      return JSON.parse(r.out);
    };
    const one = await run('1', 'one');
    for (const f of ['sparsified.gbx', 'graph.svg', 'graph.dot', 'sparsify.json'])
      expect(existsSync(join(p.dir, 'one', f))).toBe(true);
    expect(readFileSync(join(p.dir, 'one', 'graph.svg'), 'utf8')).toMatch(/^<svg/);
    expect(readFileSync(join(p.dir, 'one', 'sparsified.gbx'), 'utf8')).toMatch(/^model /m);
    expect(one.windows).toBe(4 * Math.floor((30 - 10) / 4 + 1));
    expect(one.states.map((s: { state: string }) => s.state).sort()).toEqual(['a', 'b', 'c', 'y']);
    expect(one.states.find((s: { state: string }) => s.state === 'y').kept).toBe(true);
    expect(one.cv.lambdas).toEqual([0, 0.2]);
    expect([0, 0.2]).toContain(one.lambda1);
    for (const e of one.edges) if (e.kept) expect(e.weight).not.toBe(0);
    expect(Number.isFinite(one.rmse.Y)).toBe(true);
    expect(one.enp.total).toBeGreaterThan(0);
    const two = await run('2', 'two');
    expect(two.cv).toEqual(one.cv);
    expect(two.edges).toEqual(one.edges);
    expect(two.rmse).toEqual(one.rmse);
  }, 240_000);

  it('explains bad input: missing values, missing input columns, unknown names', async () => {
    const p = project(true);
    const base = ['sparsify', '--model', p.model, '--history', '6', '--horizon', '4', '--lambda1', '0.1'];
    let r = await cli(...base, '--data', p.data);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/line \d+, subject 1, time 1\.5: Y is missing/);
    const q = project();
    writeFileSync(q.data, readFileSync(q.data, 'utf8').replace(/,u\n/, ',v\n'));
    r = await cli(...base, '--data', q.data);
    expect(r.err).toMatch(
      /no column for the model input u: add it, or leave the input out with --drop-inputs u/,
    );
    r = await cli(...base, '--data', project().data, '--observed', 'zz');
    expect(r.err).toMatch(/--observed: zz is not a state of the model/);
    r = await cli(...base, '--data', project().data, '--history', '40');
    expect(r.err).toMatch(/only 0 forecasting window/);
  });
});
