/**
 * `npm run repro -- petab-sciml [--quick]`: the PEtab SciML test suite through greybox's
 * importer. Runs every case of ../shared/data/petab_sciml (`--quick`: the subset bundled in
 * test/fixtures/petab_sciml) and writes docs/results/petab-sciml.md listing each case with
 * pass/fail and its errors against the references. The same cases run one by one with
 * `greybox petab-test CASE_DIR…`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeFileSource } from '../../src/node/petab/files.js';
import { ML_DROPOUT_TOL, ML_OUTPUT_TOL } from '../../src/petab/mlCase.js';
import { type CaseOutcome, runTestCase } from '../../src/petab/testSuite.js';
import { type Experiment, markdownTable } from './experiment.js';

const shared = fileURLToPath(new URL('../../../shared/data/petab_sciml/', import.meta.url));
const bundled = fileURLToPath(new URL('../../test/fixtures/petab_sciml/', import.meta.url));
const SUITES = ['sciml_problem_import', 'ml_model_import', 'initialization'] as const;

/** The first sentence of a case's README after its title: what it tests. */
function describeCase(dir: string): string {
  const path = join(dir, 'README.md');
  if (!existsSync(path)) return '';
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const text = lines.find((l) => !/^Test case for testing neural network import only\.?$/.test(l)) ?? '';
  const first = text.split(/(?<=\.)\s/)[0] ?? '';
  const short = first.length > 200 ? `${first.slice(0, 199)}…` : first;
  return short.replaceAll('|', '\\|');
}

const fmt = (v: number | undefined) => (v === undefined ? '—' : Number.isNaN(v) ? 'NaN' : v.toExponential(1));

export const experiment: Experiment = {
  id: 'petab-sciml',
  title: 'PEtab SciML test suite',
  async run(options) {
    const root = options.quick || !existsSync(shared) ? bundled : shared;
    const source =
      root === shared
        ? '../shared/data/petab_sciml (all cases)'
        : 'test/fixtures/petab_sciml (the bundled subset)';
    const rows: Record<string, string[][]> = {};
    const outcomes: CaseOutcome[] = [];
    const started = Date.now();
    for (const suite of SUITES) {
      const dir = join(root, suite);
      const cases = existsSync(dir)
        ? readdirSync(dir)
            .filter((c) => /^\d+$/.test(c))
            .sort()
        : [];
      rows[suite] = [];
      for (const c of cases) {
        const r = await runTestCase(c, nodeFileSource(join(dir, c)));
        outcomes.push(r);
        options.log(`${suite} ${c}: ${r.pass ? 'pass' : 'FAIL'}${r.error ? ` (${r.error})` : ''}`);
        const what = describeCase(join(dir, c));
        const status = r.pass ? 'pass' : `**FAIL**${r.error ? `: ${r.error.replaceAll('|', '\\|')}` : ''}`;
        if (suite === 'sciml_problem_import')
          rows[suite].push([c, what, status, fmt(r.llh_err), fmt(r.sim_err), fmt(r.grad_err)]);
        else if (suite === 'ml_model_import') rows[suite].push([c, what, status, fmt(r.output_err)]);
        else rows[suite].push([c, what, status, fmt(r.param_err)]);
      }
    }
    const seconds = (Date.now() - started) / 1000;
    const count = (s: string) => outcomes.filter((o) => o.suite === s);
    const passed = (s: string) => count(s).filter((o) => o.pass).length;
    const summary = SUITES.map((s) => [s, String(count(s).length), String(passed(s))]);
    const page = [
      '# PEtab SciML test suite',
      '',
      `Command: \`${options.command}\` (or \`greybox petab-test CASE_DIR…\`, one JSON line per case). ` +
        `Cases: ${source}. ${outcomes.filter((o) => o.pass).length} of ${outcomes.length} pass; ` +
        `${seconds.toFixed(1)} s on the development machine.`,
      '',
      'Each `sciml_problem_import` case is imported (SBML model, PEtab v2 tables, network YAML, HDF5 arrays, ' +
        'hybridization) and evaluated at its nominal parameters: the log-likelihood, the simulated observables ' +
        'and the gradient of the log-likelihood with respect to every estimated mechanistic parameter and network ' +
        'array (discrete adjoint of tsit5 at rtol 1e-10, atol 1e-12) are compared with the references of the ' +
        "case's `solutions.yaml` (absolute tolerances: llh 1e-3, simulations 1e-3, gradient 0.1 per entry). " +
        '`ml_model_import` cases compare network outputs at three parameter/input sets (absolute tolerance ' +
        `${ML_OUTPUT_TOL}; dropout cases: the mean of the stated number of training-mode passes, tolerance ` +
        `${ML_DROPOUT_TOL}, the suite generator's). \`initialization\` cases compare the network parameters ` +
        'as initialized from the problem with the reference arrays.',
      '',
      'Errors are absolute: |greybox − reference|, the largest over the case.',
      '',
      markdownTable(['suite', 'cases', 'pass'], summary),
      '',
      '## sciml_problem_import',
      '',
      markdownTable(
        ['case', 'what it tests', 'result', 'llh error', 'simulation error (max)', 'gradient error (max)'],
        rows.sciml_problem_import,
      ),
      '',
      '## ml_model_import',
      '',
      markdownTable(['case', 'network', 'result', 'output error (max)'], rows.ml_model_import),
      '',
      '## initialization',
      '',
      markdownTable(['case', 'what it tests', 'result', 'parameter error (max)'], rows.initialization),
      '',
    ].join('\n');
    return {
      metrics: Object.fromEntries([
        ...SUITES.map((s) => [`${s}_pass`, passed(s)]),
        ...SUITES.map((s) => [`${s}_cases`, count(s).length]),
        ['seconds', seconds],
      ]),
      page,
    };
  },
};
