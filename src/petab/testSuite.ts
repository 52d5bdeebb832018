/**
 * Runs cases of the PEtab SciML test suite against greybox's importer: `sciml_problem_import`
 * (log-likelihood, simulations and gradient at the nominal parameters against the case's
 * references, within the tolerances of its `solutions.yaml`), `ml_model_import` (network
 * outputs, see `mlCase.ts`) and `initialization` (network parameters as initialized from the
 * problem). The kind of a case is read from its `solutions.yaml`.
 */
import { parse as parseYaml } from 'yaml';
import { readHdf5Arrays } from './hdf5.js';
import { type FileSource, runMlModelCase } from './mlCase.js';
import { evaluatePetab, nominalPoint } from './objective.js';
import { loadPetabProblem } from './problem.js';
import { cell, parseTsv } from './tables.js';

/** The outcome of one case, as printed by `greybox petab-test` (one JSON line). */
export interface CaseOutcome {
  readonly case: string;
  readonly suite: 'sciml_problem_import' | 'ml_model_import' | 'initialization';
  readonly pass: boolean;
  readonly llh_err?: number;
  readonly sim_err?: number;
  readonly grad_err?: number;
  readonly output_err?: number;
  readonly param_err?: number;
  readonly error?: string;
}

/** Solver settings for test cases: tight enough that the solver's error is far below the tolerances. */
export const CASE_SOLVER = { rtol: 1e-10, atol: 1e-12 } as const;

/**
 * A {@link FileSource} for the sub-folder `dir` of `files`.
 *
 * @example
 * ```ts
 * const petab = subSource(nodeFileSource('cases/001'), 'petab');
 * ```
 */
export function subSource(files: FileSource, dir: string): FileSource {
  const join = (p: string) => `${dir.replace(/\/$/, '')}/${p}`;
  return { bytes: (p) => files.bytes(join(p)), text: (p) => files.text(join(p)) };
}

const num = (v: unknown, what: string): number => {
  if (typeof v !== 'number') throw new Error(`solutions.yaml: "${what}" must be a number`);
  return v;
};

const maxAbs = (pairs: Iterable<[number, number]>): number => {
  let m = 0;
  for (const [a, b] of pairs) {
    const d = Math.abs(a - b);
    if (Number.isNaN(d)) return Number.NaN;
    m = Math.max(m, d);
  }
  return m;
};

/**
 * Runs one case folder (given as a {@link FileSource} rooted at it). Failures to import are
 * reported as `pass: false` with the error message, not thrown.
 *
 * @example
 * ```ts
 * const outcome = await runTestCase('001', nodeFileSource('petab_sciml/sciml_problem_import/001'));
 * outcome.pass; // true
 * ```
 */
export async function runTestCase(name: string, files: FileSource): Promise<CaseOutcome> {
  let sol: Record<string, unknown>;
  try {
    sol = parseYaml(await files.text('solutions.yaml')) as Record<string, unknown>;
  } catch (e) {
    return {
      case: name,
      suite: 'sciml_problem_import',
      pass: false,
      error: `no readable solutions.yaml: ${(e as Error).message}`,
    };
  }
  const suite: CaseOutcome['suite'] =
    sol.net_file !== undefined
      ? 'ml_model_import'
      : sol.llh !== undefined
        ? 'sciml_problem_import'
        : 'initialization';
  try {
    if (suite === 'ml_model_import') {
      const r = await runMlModelCase(files);
      return { case: name, suite, pass: r.pass, output_err: r.outputErr };
    }
    const problem = await loadPetabProblem(subSource(files, 'petab'), 'problem.yaml');
    const point = nominalPoint(problem);
    if (suite === 'initialization') {
      const tol = num(sol.tol, 'tol');
      let err = 0;
      for (const [netId, path] of Object.entries((sol.parameter_files ?? {}) as Record<string, string>)) {
        const ref = await readHdf5Arrays(await files.bytes(path), path);
        const params = point.nets[netId];
        if (params === undefined) throw new Error(`${path}: the problem has no network ${netId}`);
        for (const [p, arr] of ref.arrays) {
          const m = new RegExp(`^parameters/${netId}/([^/]+)/([^/]+)$`).exec(p);
          if (m === null) continue;
          const mine = params[m[1]]?.[m[2]];
          if (mine === undefined) throw new Error(`${path}: ${p} is not a parameter of network ${netId}`);
          err = Math.max(err, maxAbs(Array.from(arr.data, (v, i): [number, number] => [v, mine.data[i]])));
        }
      }
      return { case: name, suite, pass: err <= tol, param_err: err };
    }
    // The references come from tight solves; so does the comparison.
    const r = evaluatePetab(problem, point, CASE_SOLVER);
    if (r.failure !== null) return { case: name, suite, pass: false, error: r.failure };
    const llhErr = Math.abs(r.llh - num(sol.llh, 'llh'));
    // Simulations: match rows by (observable, experiment, time), in order.
    const mine = new Map<string, number[]>();
    problem.measurements.forEach((m, i) => {
      const key = `${problem.observables[m.observable].id}\t${problem.experiments[m.experiment].id}\t${m.time}`;
      mine.set(key, [...(mine.get(key) ?? []), r.simulations[i]]);
    });
    const simPairs: [number, number][] = [];
    for (const path of (sol.simulation_files ?? []) as string[]) {
      const t = parseTsv(await files.text(path), path, ['observableId', 'simulation', 'time']);
      for (const row of t.rows) {
        const exp = cell(row, 'experimentId') || cell(row, 'simulationConditionId');
        const key = `${cell(row, 'observableId')}\t${exp}\t${Number(cell(row, 'time'))}`;
        const list = mine.get(key);
        if (list === undefined || list.length === 0)
          throw new Error(`${path} line ${row.line}: no simulated value for ${key.replaceAll('\t', ', ')}`);
        simPairs.push([list.shift() as number, Number(cell(row, 'simulation'))]);
      }
    }
    const simErr = maxAbs(simPairs);
    // Gradients: the references are of the log-likelihood, ours of its negative.
    const gradPairs: [number, number][] = [];
    const g = r.gradient!;
    for (const [key, path] of Object.entries((sol.grad_files ?? {}) as Record<string, string>)) {
      if (key === 'mech') {
        const t = parseTsv(await files.text(path), path, ['parameterId', 'value']);
        for (const row of t.rows) {
          const id = cell(row, 'parameterId');
          const j = problem.estimated.findIndex((e) => e.id === id);
          if (j < 0) throw new Error(`${path} line ${row.line}: "${id}" is not an estimated parameter`);
          gradPairs.push([-g.mech[j], Number(cell(row, 'value'))]);
        }
      } else {
        const ref = await readHdf5Arrays(await files.bytes(path), path);
        const ng = g.nets[key];
        if (ng === undefined) throw new Error(`${path}: the problem has no network ${key}`);
        for (const [p, arr] of ref.arrays) {
          const m = new RegExp(`^parameters/${key}/([^/]+)/([^/]+)$`).exec(p);
          if (m === null) continue;
          const mineG = ng[m[1]]?.[m[2]];
          if (mineG === undefined) throw new Error(`${path}: ${p} is not a parameter of network ${key}`);
          arr.data.forEach((v, i) => {
            gradPairs.push([-mineG[i], v]);
          });
        }
      }
    }
    const gradErr = maxAbs(gradPairs);
    const pass =
      llhErr <= num(sol.tol_llh, 'tol_llh') &&
      simErr <= num(sol.tol_simulations, 'tol_simulations') &&
      gradErr <= num(sol.tol_grad, 'tol_grad');
    return { case: name, suite, pass, llh_err: llhErr, sim_err: simErr, grad_err: gradErr };
  } catch (e) {
    return { case: name, suite, pass: false, error: (e as Error).message };
  }
}
