/**
 * PEtab commands: `greybox petab-test CASE_DIR…` runs PEtab SciML test-suite cases, one JSON
 * line per case on stdout, exit code 0 when all pass (1 otherwise); `greybox fit problem.yaml`
 * estimates the parameters of a PEtab (SciML) problem.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Tensor } from '../../autodiff/tensor.js';
import { dependencyGraph } from '../../expr/graph.js';
import { printModel } from '../../expr/print.js';
import { encodeStateDictJson } from '../../nn/stateDictJson.js';
import { fitPetab, type PetabFitResult } from '../../petab/fit.js';
import { fromScale } from '../../petab/objective.js';
import { loadPetabProblem, type PetabProblem } from '../../petab/problem.js';
import { type CaseOutcome, runTestCase } from '../../petab/testSuite.js';
import { VERSION } from '../../version.js';
import { nodeFileSource } from '../petab/files.js';
import { type ReportData, renderReport } from '../report/index.js';
import { UserError } from './errors.js';
import type { GlobalOptions, Io } from './main.js';
import { fingerprint } from './project.js';

/**
 * The case folders under `dir`: `dir` itself when it holds a `solutions.yaml`, else its
 * sub-folders that do (one level, then two: a suite folder or the whole test-suite folder).
 *
 * @example
 * ```ts
 * caseFolders('petab_sciml/ml_model_import').length; // 54
 * ```
 */
export function caseFolders(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UserError(`petab-test: "${dir}" is not a folder`);
  if (existsSync(join(dir, 'solutions.yaml'))) return [dir];
  const subs = readdirSync(dir)
    .sort()
    .map((d) => join(dir, d))
    .filter((d) => statSync(d).isDirectory());
  const direct = subs.filter((d) => existsSync(join(d, 'solutions.yaml')));
  if (direct.length > 0) return direct;
  const nested = subs.flatMap((d) =>
    readdirSync(d)
      .sort()
      .map((x) => join(d, x))
      .filter((x) => statSync(x).isDirectory() && existsSync(join(x, 'solutions.yaml'))),
  );
  if (nested.length === 0)
    throw new UserError(`petab-test: no test case (a folder with solutions.yaml) in "${dir}"`);
  return nested;
}

/**
 * Runs the cases in `dirs` (case folders, suite folders or the suite root).
 *
 * @example
 * ```ts
 * (await runCases(['petab_sciml'])).every((c) => c.pass);
 * ```
 */
export async function runCases(dirs: readonly string[]): Promise<CaseOutcome[]> {
  const out: CaseOutcome[] = [];
  for (const d of dirs)
    for (const c of caseFolders(d)) out.push(await runTestCase(basename(c), nodeFileSource(c)));
  return out;
}

/**
 * The `petab-test` command: one JSON line per case on stdout; exit code 0 when all pass.
 *
 * @example
 * ```ts
 * await petabTestCommand(io, { json: false, debug: false }, ['petab_sciml/ml_model_import']);
 * ```
 */
export async function petabTestCommand(io: Io, _g: GlobalOptions, dirs: readonly string[]): Promise<number> {
  if (dirs.length === 0) throw new UserError('petab-test: give at least one case folder');
  let all = true;
  for (const d of dirs) {
    for (const c of caseFolders(d)) {
      const r = await runTestCase(basename(c), nodeFileSource(c));
      io.stdout.write(`${JSON.stringify(r)}\n`);
      all &&= r.pass;
    }
  }
  return all ? 0 : 1;
}

/** Options of `greybox fit problem.yaml`. */
export interface PetabFitArgs {
  readonly out?: string;
  readonly epochs?: number;
  readonly seed?: number;
  readonly report: boolean;
}

/**
 * Whether a YAML file is a PEtab problem (rather than a greybox project config): it has a
 * top-level `format_version`, `model_files`, `sbml_files`, `problems` or `parameter_files`.
 *
 * @example
 * ```ts
 * isPetabYaml('petab/problem.yaml'); // true
 * ```
 */
export function isPetabYaml(path: string): boolean {
  if (!existsSync(path)) return false;
  const text = readFileSync(path, 'utf8');
  return /^(format_version|model_files|sbml_files|problems|parameter_files)\s*:/m.test(text);
}

/**
 * `greybox fit problem.yaml`: estimates the parameters of a PEtab (SciML) problem by L-BFGS
 * from its nominal values; writes estimates.tsv (mechanistic parameters), NET.json (each
 * network's parameters as a greybox state dict, names layer.array), result.json and
 * report.html to the output folder (default petab-fit).
 *
 * @example
 * ```ts
 * await petabFitCommand(io, { json: true, debug: false }, 'petab/problem.yaml', { out: 'fit', report: true });
 * ```
 */
export async function petabFitCommand(
  io: Io,
  g: GlobalOptions,
  problemPath: string,
  o: PetabFitArgs,
): Promise<number> {
  if (!existsSync(problemPath)) throw new UserError(`fit: no file "${problemPath}"`);
  const dir = dirname(resolve(problemPath));
  let problem: PetabProblem;
  try {
    problem = await loadPetabProblem(nodeFileSource(dir), basename(problemPath));
  } catch (e) {
    throw new UserError(`fit: cannot import the PEtab problem ${problemPath}: ${(e as Error).message}`);
  }
  const print = (s: string) => {
    if (!g.json) io.stderr.write(s);
  };
  const nNet = problem.nets.reduce(
    (n, net) =>
      n + net.arrays.filter((a) => a.estimated).reduce((k, a) => k + net.nominal[a.layer][a.array].size, 0),
    0,
  );
  const iterations = o.epochs ?? 200;
  print(
    `fitting PEtab problem ${basename(problemPath)}: ${problem.estimated.length} mechanistic parameters, ` +
      `${nNet} network weights, ${problem.measurements.length} measurements in ${problem.experiments.length} experiments; ` +
      `up to ${iterations} L-BFGS iterations\n`,
  );
  const fit = fitPetab(problem, {
    iterations,
    onIteration: (i, v) => {
      if (i % 10 === 0) print(`iteration ${i}: objective ${v.toPrecision(8)}\n`);
    },
  });
  const outDir = resolve(o.out ?? 'petab-fit');
  mkdirSync(outDir, { recursive: true });
  const estimates = [
    ['parameterId', 'parameterScale', 'lowerBound', 'upperBound', 'initialValue', 'estimate'].join('\t'),
    ...problem.estimated.map((e, j) =>
      [e.id, e.scale, e.lower, e.upper, e.nominal, fromScale(e.scale, fit.point.mech[j])[0]].join('\t'),
    ),
  ];
  writeFileSync(join(outDir, 'estimates.tsv'), `${estimates.join('\n')}\n`);
  for (const net of problem.nets) {
    const dict: Record<string, Tensor> = {};
    for (const [layer, arrays] of Object.entries(fit.point.nets[net.id]))
      for (const [name, t] of Object.entries(arrays)) dict[`${layer}.${name}`] = t;
    writeFileSync(join(outDir, `${net.id}.json`), encodeStateDictJson(dict));
  }
  const summary = {
    problem: problemPath,
    status: fit.status,
    message: fit.message,
    iterations: fit.iterations,
    objectiveStart: fit.initial.value,
    objective: fit.final.value,
    llh: fit.final.llh,
    estimates: Object.fromEntries(
      problem.estimated.map((e, j) => [e.id, fromScale(e.scale, fit.point.mech[j])[0]]),
    ),
    out: outDir,
  };
  writeFileSync(join(outDir, 'result.json'), `${JSON.stringify(summary, null, 2)}\n`);
  if (o.report) {
    const data = petabReportData(problem, fit, io.now(), fingerprint(resolve(problemPath)), o.seed ?? 0);
    writeFileSync(join(outDir, 'report.html'), await renderReport(data));
  }
  if (g.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
  else
    io.stdout.write(
      `objective ${fit.initial.value.toPrecision(8)} → ${fit.final.value.toPrecision(8)} after ${fit.iterations} iterations (${fit.status}); wrote ${outDir}\n`,
    );
  return 0;
}

/** The HTML report's data for a PEtab fit: experiments as subjects, measurements vs simulations. */
function petabReportData(
  problem: PetabProblem,
  fit: PetabFitResult,
  now: string,
  dataFingerprint: string,
  seed: number,
): ReportData {
  const sims = fit.final.simulations;
  const subjects = problem.experiments.map((x, e) => ({
    id: x.id,
    doses: [],
    observables: problem.observables.flatMap((obs, k) => {
      const rows = problem.measurements
        .map((m, i) => ({ m, i }))
        .filter(({ m }) => m.experiment === e && m.observable === k);
      if (rows.length === 0) return [];
      rows.sort((a, b) => a.m.time - b.m.time);
      return [
        {
          name: obs.id,
          observed: rows.map(({ m }) => ({ t: m.time, y: m.value })),
          predicted: rows.map(({ m, i }) => ({ t: m.time, y: sims[i] })),
        },
      ];
    }),
  }));
  return {
    title: `PEtab fit: ${problem.model.name}`,
    modelName: problem.model.name,
    modelText: printModel(problem.model),
    generatedAt: now,
    library: { name: 'greybox', version: VERSION },
    seed,
    dataFingerprint,
    subjects,
    residuals: problem.measurements.map((m, i) => ({
      subject: problem.experiments[m.experiment].id,
      observable: problem.observables[m.observable].id,
      t: m.time,
      residual: m.value - sims[i],
      predicted: sims[i],
    })),
    training: {
      epochs: fit.history.map((loss, i) => ({ epoch: i + 1, loss })),
      events: [`L-BFGS: ${fit.message}`],
    },
    parameters: problem.estimated.map((e, j) => ({
      name: e.id,
      value: fromScale(e.scale, fit.point.mech[j])[0],
      scale: e.scale === 'lin' ? 'lin' : 'log',
      lower: e.lower,
      upper: e.upper,
      initial: e.nominal,
    })),
    graph: dependencyGraph(problem.model),
    metrics: {
      objective: fit.final.value,
      'log-likelihood': fit.final.llh,
      'objective at start': fit.initial.value,
      iterations: fit.iterations,
    },
    notes: [
      'Predictions are the simulated observables at the measurement times (lines join them).',
      'The loss curve is the PEtab objective (negative log-likelihood + negative log-prior) per L-BFGS iteration.',
      ...(problem.nets.length > 0
        ? [
            `Networks (${problem.nets.map((n) => `${n.id}${n.static ? ', static' : ''}`).join('; ')}) run on the imported PEtab SciML graphs; their weights are in NET.json.`,
          ]
        : []),
    ],
  };
}
