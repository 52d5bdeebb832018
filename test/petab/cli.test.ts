/** `greybox petab-test` and `greybox fit problem.yaml` end to end. */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type Io, runCli } from '../../src/node/cli/main.js';

const fixtures = fileURLToPath(new URL('../fixtures/petab_sciml/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'greybox-petab-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const io: Io = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    now: () => '2026-01-01T00:00:00.000Z',
  };
  const code = await runCli(argv, io);
  return { code, out, err };
}

describe('greybox petab-test', () => {
  it('prints one JSON line per case and exits 0 when all pass', async () => {
    const r = await cli([
      'petab-test',
      join(fixtures, 'sciml_problem_import', '003'),
      join(fixtures, 'ml_model_import'),
    ]);
    expect(r.code).toBe(0);
    const lines = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBe(10);
    expect(lines[0]).toMatchObject({ case: '003', suite: 'sciml_problem_import', pass: true });
    expect(Object.keys(lines[0])).toEqual(['case', 'suite', 'pass', 'llh_err', 'sim_err', 'grad_err']);
    expect(lines[1]).toMatchObject({ case: '002', suite: 'ml_model_import', pass: true });
    expect(typeof lines[1].output_err).toBe('number');
  });

  it('exits 1 when a case fails (a wrong reference log-likelihood), and says why for an unreadable one', async () => {
    const dir = join(tmp, '001');
    cpSync(join(fixtures, 'sciml_problem_import', '001'), dir, { recursive: true });
    const sol = join(dir, 'solutions.yaml');
    writeFileSync(sol, readFileSync(sol, 'utf8').replace(/^llh: .*$/m, 'llh: 30.0'));
    const r = await cli(['petab-test', dir]);
    expect(r.code).toBe(1);
    const line = JSON.parse(r.out.trim());
    expect(line.pass).toBe(false);
    expect(line.llh_err).toBeGreaterThan(3);
    const broken = join(tmp, '002');
    cpSync(dir, broken, { recursive: true });
    writeFileSync(join(broken, 'petab', 'net1.yaml'), 'nn_model_id: net1\nlayers: []\nforward: []\n');
    const b = JSON.parse((await cli(['petab-test', broken])).out.trim());
    expect(b.pass).toBe(false);
    expect(b.error).toMatch(/no output node/);
  });

  it('refuses a folder without cases', async () => {
    const r = await cli(['petab-test', `${tmp}/nothing`]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not a folder/);
  });
});

describe('greybox fit problem.yaml', () => {
  it('lowers the objective and writes estimates, network weights, a summary and the report', async () => {
    const out = join(tmp, 'fit');
    const problem = join(fixtures, 'sciml_problem_import', '003', 'petab', 'problem.yaml');
    const r = await cli(['--json', 'fit', problem, '--out', out, '--epochs', '5']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out.trim());
    expect(summary.objective).toBeLessThan(summary.objectiveStart);
    expect(summary.iterations).toBeLessThanOrEqual(5);
    for (const f of ['estimates.tsv', 'net1.json', 'result.json', 'report.html'])
      expect(existsSync(join(out, f))).toBe(true);
    expect(readFileSync(join(out, 'estimates.tsv'), 'utf8').split('\n')[0]).toBe(
      'parameterId\tparameterScale\tlowerBound\tupperBound\tinitialValue\testimate',
    );
  });

  it('says when the file is not a PEtab problem', async () => {
    const f = join(tmp, 'config.yaml');
    writeFileSync(f, 'model: m.gbx\n');
    const r = await cli(['fit', f]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not a PEtab problem file/);
  });
});
