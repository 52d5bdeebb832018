import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Io, runCli } from '../../../src/node/cli/main.js';

/** Runs the CLI in-process, capturing its output. */
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

const tmp = () => mkdtempSync(join(tmpdir(), 'greybox-cli-'));

describe('greybox CLI: a project from init to report', () => {
  it('init, check-data, fit, predict (exactly the training-time predictions), report, simulate', async () => {
    const dir = join(tmp(), 'proj');
    const init = await cli('init', dir);
    expect(init.code).toBe(0);
    for (const f of ['greybox.yaml', 'model.gbx', 'data.csv', 'README.md'])
      expect(existsSync(join(dir, f))).toBe(true);
    expect((await cli('init', dir)).err).toMatch(/exists and is not empty/);

    const check = await cli('check-data', join(dir, 'data.csv'), '--model', join(dir, 'model.gbx'));
    expect(check.code).toBe(0);
    expect(check.out).toMatch(/valid — .*8 subjects/s);

    const fit = await cli('--json', 'fit', '--config', join(dir, 'greybox.yaml'), '--epochs', '8');
    expect(fit.err).toBe('');
    expect(fit.code).toBe(0);
    const summary = JSON.parse(fit.out);
    expect(summary.epochs).toBe(8);
    expect(Number.isFinite(summary.finalLoss)).toBe(true);
    const out = join(dir, 'out');
    for (const f of ['model.json', 'report.html', 'predictions.csv'])
      expect(existsSync(join(out, f))).toBe(true);
    const doc = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(doc.data.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(doc.training.epochs).toBe(8);

    const predicted = join(dir, 'again.csv');
    const predict = await cli(
      'predict',
      '--fitted',
      join(out, 'model.json'),
      '--data',
      join(dir, 'data.csv'),
      '--out',
      predicted,
    );
    expect(predict.code).toBe(0);
    expect(readFileSync(predicted, 'utf8')).toBe(readFileSync(join(out, 'predictions.csv'), 'utf8'));

    const reportPath = join(dir, 'r.html');
    const report = await cli(
      'report',
      '--fitted',
      join(out, 'model.json'),
      '--data',
      join(dir, 'data.csv'),
      '--out',
      reportPath,
    );
    expect(report.code).toBe(0);
    expect(readFileSync(reportPath, 'utf8')).toMatch(/<svg/);

    const sim = await cli('simulate', '--config', join(dir, 'greybox.yaml'), '--points', '5');
    expect(sim.code).toBe(0);
    const rows = sim.out.trim().split('\n');
    expect(rows[0]).toBe('id,time,concentration,gut,central');
    expect(rows.length).toBeGreaterThan(8 * 9);
  }, 120_000);
});

describe('greybox CLI: bad input', () => {
  const header = 'id,time,observable,value,amount,route';
  const good = [header, 's1,0,,,100,oral', 's1,1,concentration,2.5,,', 's1,2,concentration,2.1,,'];
  const damage: [string, string[], RegExp][] = [
    ['a non-number', [header, 's1,1,concentration,abc,,'], /line 2, column value: "abc" is not a number/],
    ['a negative time', [header, 's1,-1,concentration,2,,'], /line 2, column time: time -1 is negative/],
    [
      'a non-finite number',
      [header, 's1,1,concentration,Infinity,,'],
      /line 2, column value: "Infinity" is not a finite number/,
    ],
    ['a missing column', ['id,time,observable', 's1,1,concentration'], /line 1.*"value"/],
    [
      'a misspelt column',
      ['id,tme,observable,value', 's1,1,concentration,2'],
      /line 1.*time.*did you mean|tme/,
    ],
    [
      'a ragged row',
      [header, 's1,1,concentration,2'],
      /line 2: the row has 4 fields but the header has 6 columns/,
    ],
    [
      'a duplicated row',
      [header, 's1,1,concentration,2,,', 's1,1,concentration,2,,'],
      /line 3, subject s1: a second value of concentration at time 1 \(the other is at line 2\)/,
    ],
    ['an empty file', [''], /the file is empty; it needs a header row/],
    ['a missing time', [header, 's1,,concentration,2,,'], /line 2, column time/],
    ['a missing id', [header, ',1,concentration,2,,'], /line 2, column id/],
    ['a negative dose', [header, 's1,0,,,-5,oral'], /line 2, column amount: the dose amount -5 is negative/],
    [
      'a dose without a target',
      ['id,time,observable,value,amount', 's1,0,,,100', 's1,1,concentration,2,'],
      /line 2.*(route|target)/,
    ],
    [
      'an unknown observable (with the model)',
      [header, 's1,1,conc,2,,'],
      /line 2, subject s1: observable "conc" is not in model .* \(its observables: concentration\)/,
    ],
    [
      'an unknown dose route (with the model)',
      [header, 's1,0,,,100,mouth', 's1,1,concentration,2,,'],
      /line 2, subject s1: dose target "mouth" is neither a dose route nor a state/,
    ],
  ];

  it('check-data names file, line and column for each kind of damage, and exits with 2', async () => {
    const dir = tmp();
    const modelFile = join(tmp(), 'm.gbx');
    // A one-compartment model with the observable and route the damaged files name.
    writeFileSync(
      modelFile,
      `param k = 1 in [0, inf] scale log\nstate gut = 0\nstate central = 0\nd/dt gut = -k*gut\nd/dt central = k*gut - central\ndose oral -> gut bolus\nobs concentration = central ~ lognormal(0.1)\n`,
    );
    const okFile = join(dir, 'ok.csv');
    writeFileSync(okFile, `${good.join('\n')}\n`);
    expect((await cli('check-data', okFile, '--format', 'long', '--model', modelFile)).code).toBe(0);
    for (const [what, lines, want] of damage) {
      const file = join(dir, `${what.replace(/\W+/g, '_')}.csv`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      const r = await cli('check-data', file, '--format', 'long', '--model', modelFile);
      expect(r.code, what).toBe(2);
      expect(r.out + r.err, what).toMatch(want);
      expect(r.out + r.err, what).toContain(file);
      expect(r.err, what).not.toMatch(/ at .*\.ts:\d+/); // no stack trace
    }
  });

  it('rejects a bad config with the key, line and column, and unknown commands and options', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'greybox.yaml'), 'model: m.gbx\ndata:\n  file: d.csv\nfit:\n  epochz: 3\n');
    const r = await cli('fit', '--config', join(dir, 'greybox.yaml'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /greybox.yaml line 5, column 3, fit.epochz: unknown key "epochz" — did you mean "epochs"\?/,
    );
    expect((await cli('fitt')).code).toBe(2);
    expect((await cli('fit', '--epochs', 'x')).code).toBe(2);
    const missing = await cli('fit', '--config', join(dir, 'nope.yaml'));
    expect(missing.err).toMatch(/config file .*nope.yaml does not exist/);
    expect((await cli('--help')).code).toBe(0);
  });

  it('reports a model file error with its line and column', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'greybox.yaml'), 'model: m.gbx\ndata:\n  file: d.csv\n');
    writeFileSync(join(dir, 'm.gbx'), 'state x = 1\nd/dt x = -k * x\n');
    writeFileSync(join(dir, 'd.csv'), 'id,time,observable,value\n1,1,x,1\n');
    const r = await cli('fit', '--config', join(dir, 'greybox.yaml'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/m.gbx line 2, column 11: unknown name "k"/);
  });
});
