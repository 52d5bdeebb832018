/**
 * R5: Hamiltonian neural networks (Greydanus, Dzamba & Yosinski, NeurIPS 2019), the ideal
 * mass–spring and the ideal pendulum. An HNN (MLP 2 → 200 → 200 → 1, tanh, its field the
 * symplectic gradient of the net) and the baseline (MLP 2 → 200 → 200 → 2 predicting (q̇, ṗ))
 * are fitted to noisy phase-space samples and their true time derivatives; both are then
 * rolled out from the test trajectories' initial states and the true energy along the
 * rollouts is compared with the truth.
 *
 * `npm run repro -- r5 [--quick] [--seed N]`
 */
import { add, mul, sub } from '../../src/autodiff/ops/binary.js';
import { matmul } from '../../src/autodiff/ops/linalg.js';
import { sum } from '../../src/autodiff/ops/reduce.js';
import { cos, square } from '../../src/autodiff/ops/unary.js';
import { Tensor, tensor } from '../../src/autodiff/tensor.js';
import {
  type BaselineNetwork,
  baselineNetwork,
  derivativeLoss,
  type EnergyFunction,
  fitDerivatives,
  type HamiltonianNetwork,
  hamiltonianNetwork,
  type LearnedDynamics,
  learnedVectorField,
  symplecticGradient,
} from '../../src/index.js';
import type { MlpParams } from '../../src/nn/mlp.js';
import { renderVegaLite } from '../../src/node/report/vegaSvg.js';
import { pid } from '../../src/ode/controller.js';
import { dopri5 } from '../../src/ode/methods/dopri5.js';
import { vern7 } from '../../src/ode/methods/vern7.js';
import { saveAt, solve } from '../../src/ode/solve.js';
import { adam } from '../../src/optim/adam.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { Rng, rngKey } from '../../src/tensor/random.js';
import { type Experiment, markdownTable, type RunOptions } from './experiment.js';

/** One of the paper's two toy systems. */
interface System {
  readonly key: 'mass_spring' | 'pendulum';
  readonly label: string;
  /** The true Hamiltonian as a tensor function of rows [q, p]. */
  readonly h: EnergyFunction;
  /** The same, on numbers. */
  readonly energy: (q: number, p: number) => number;
  /** Initial states have |(q, p)| uniform in this range. */
  readonly radius: readonly [number, number];
  /** Sample points per trajectory on [0, 3]. */
  readonly points: number;
  /** Published energy MSE ×1e3, baseline and HNN (mean, ±). */
  readonly published: {
    readonly baseline: readonly [number, number];
    readonly hnn: readonly [number, number];
  };
}

const Q = tensor([[1], [0]]);
const P = tensor([[0], [1]]);

const SYSTEMS: readonly System[] = [
  {
    key: 'mass_spring',
    label: 'Ideal mass–spring, H = q² + p²',
    h: (x) => sum(square(x), -1),
    energy: (q, p) => q * q + p * p,
    radius: [0.1, 1],
    points: 30,
    published: { baseline: [170, 20], hnn: [0.38, 0.1] },
  },
  {
    key: 'pendulum',
    label: 'Ideal pendulum, H = 3(1 − cos q) + p²',
    h: (x) => sum(add(mul(3, sub(1, cos(matmul(x, Q)))), square(matmul(x, P))), -1),
    energy: (q, p) => 3 * (1 - Math.cos(q)) + p * p,
    radius: [1.3, 2.3],
    points: 45,
    published: { baseline: [42, 10], hnn: [25, 5] },
  },
];

const T_DATA = 3;
const N_TRAJ = 50; // 25 train + 25 test, split in order as the paper's code does
const NOISE = 0.1;
/** Rollouts for the short energy test: t ∈ [0, 20], 100 points. */
const T_EVAL = 20;
const N_EVAL = 100;
const ROLLOUT_TOL = { rtol: 1e-10, atol: 1e-12 };

function linspace(a: number, b: number, n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}

function truth(sys: System): LearnedDynamics<null> {
  return { dof: 1, field: (_p, x) => symplecticGradient(sys.h, x) };
}

interface Dataset {
  readonly trainX: Tensor;
  readonly trainDx: Tensor;
  readonly testX: Tensor;
  readonly testDx: Tensor;
  /** Clean initial states of the test trajectories, [25·2]. */
  readonly testY0: Float64Array;
}

/**
 * The paper's data: 50 trajectories from initial states on a circle of radius r ~ U(radius)
 * in a uniformly random direction, sampled at `points` times on [0, 3] (solved here with
 * vern7 at rtol 1e-12); targets are the true field at the clean states; Gaussian noise
 * (σ = 0.1) is added to q and p; the first 25 trajectories train, the last 25 test.
 */
function makeData(sys: System, seed: number): Dataset {
  const rng = new Rng(seed * 7919 + (sys.key === 'pendulum' ? 1 : 0));
  const dirs = rng.uniform([N_TRAJ, 2], -1, 1).data;
  const radii = rng.uniform([N_TRAJ], sys.radius[0], sys.radius[1]).data;
  const y0 = new Float64Array(2 * N_TRAJ);
  for (let j = 0; j < N_TRAJ; j++) {
    const norm = Math.hypot(dirs[2 * j], dirs[2 * j + 1]);
    y0[2 * j] = (dirs[2 * j] / norm) * radii[j];
    y0[2 * j + 1] = (dirs[2 * j + 1] / norm) * radii[j];
  }
  const times = linspace(0, T_DATA, sys.points);
  const field = learnedVectorField(truth(sys), null);
  const sol = solve(field, y0, {
    method: vern7(),
    t1: T_DATA,
    controller: pid({ rtol: 1e-12, atol: 1e-12 }),
    saveat: saveAt.times(times),
    throwOnFailure: true,
  });
  const n = N_TRAJ * sys.points;
  const states = new Float64Array(2 * n);
  sol.ys.forEach((ys, j) => {
    states.set(ys, 2 * sys.points * j);
  });
  const dx = new Float64Array(2 * n);
  field.f(new Float64Array(n), states, new Float64Array(0), dx, n, null);
  const noise = rng.normal([2 * n], 0, NOISE).data;
  const noisy = states.map((v, i) => v + noise[i]);
  const half = (N_TRAJ / 2) * sys.points;
  const part = (a: Float64Array, from: number, to: number) =>
    new Tensor(new NDArray(a.slice(2 * from, 2 * to), [to - from, 2]));
  return {
    trainX: part(noisy, 0, half),
    trainDx: part(dx, 0, half),
    testX: part(noisy, half, n),
    testDx: part(dx, half, n),
    testY0: y0.slice(N_TRAJ, 2 * N_TRAJ),
  };
}

/** Rollouts of a field from the test initial states on the evaluation grid: [traj][time·2]. */
function rollout<P>(
  dynamics: LearnedDynamics<P>,
  params: P,
  y0: Float64Array,
  method = dopri5(),
): Float64Array[] {
  const sol = solve(learnedVectorField(dynamics, params), y0, {
    method,
    t1: T_EVAL,
    controller: pid(ROLLOUT_TOL),
    saveat: saveAt.times(linspace(0, T_EVAL, N_EVAL)),
    throwOnFailure: true,
  });
  return sol.ys.map((ys) => ys.slice());
}

interface RolloutErrors {
  readonly energyMse: number;
  readonly stateMse: number;
}

function compare(
  sys: System,
  truthPaths: readonly Float64Array[],
  paths: readonly Float64Array[],
): RolloutErrors {
  let e = 0;
  let s = 0;
  let count = 0;
  paths.forEach((path, j) => {
    const ref = truthPaths[j];
    for (let i = 0; i < N_EVAL; i++) {
      const dE = sys.energy(ref[2 * i], ref[2 * i + 1]) - sys.energy(path[2 * i], path[2 * i + 1]);
      e += dE * dE;
      s += ((ref[2 * i] - path[2 * i]) ** 2 + (ref[2 * i + 1] - path[2 * i + 1]) ** 2) / 2;
      count++;
    }
  });
  return { energyMse: e / count, stateMse: s / count };
}

/** Largest |H_θ(x(t)) − H_θ(x(0))| along the HNN's own rollouts: the solver's drift. */
function learnedEnergyDrift(
  hnn: HamiltonianNetwork,
  params: MlpParams,
  paths: readonly Float64Array[],
): number {
  let worst = 0;
  for (const path of paths) {
    const h = hnn.energy(params, new Tensor(new NDArray(path, [N_EVAL, 2]))).data;
    for (let i = 1; i < N_EVAL; i++) worst = Math.max(worst, Math.abs(h[i] - h[0]));
  }
  return worst;
}

/** An energy MSE the way the paper's notebooks report it: mean over starts, bootstrap-style ±. */
interface NotebookEnergy {
  readonly mean: number;
  /** Their `bootstrap_conf`: the sd (ddof 0) of the means of 5 groups of 3 starts, over √5. */
  readonly se: number;
}

/** Starts and the stretch of the paper's notebooks (see {@link notebookEnergyMse}). */
const NOTEBOOK = { starts: 15, groups: 5, span: 20, stretch: 1 + 0.9 * NOISE } as const;

/**
 * The energy MSE as the paper's analysis notebooks compute it (analyze-spring.ipynb and
 * analyze-pend.ipynb in github.com/greydanus/hamiltonian-nn): 15 starts with q and p each
 * uniform on ±[0.2, 1] (`x0 = rand(2)·1.6 − 0.8; x0 += 0.2·sign(x0)`), 100 evaluation times.
 * Their `integrate_models` solves the truth, then stretches the shared `t_span` and `t_eval`
 * in place by 1 + 0.9σ (σ = 0.1) before solving the models, and their plot cell has called it
 * once on t_span = [0, 20] before the loop. So start k (k = 0…14) compares the truth on
 * linspace(0, 21.8·1.09^k, 100) with the model at 1.09 times those times (the last span ≈ 79).
 * Two energies from the same rollouts: `true`, the true H, which the truth conserves (its energy
 * is H(x0)): per start the mean over the 100 times of (H(x0) − H(x_model(1.09·tᵢ)))²; and
 * `squares`, their `energy_loss` as written, q² + p² on both paths:
 * (|x_true(tᵢ)|² − |x_model(1.09·tᵢ)|²)², the same as `true` for the mass–spring but not for the
 * pendulum, whose true H is 3(1 − cos q) + p². Each is then averaged over the starts.
 */
function notebookEnergyMse<P>(
  sys: System,
  dynamics: LearnedDynamics<P>,
  params: P,
  starts: Float64Array,
): { readonly true: NotebookEnergy; readonly squares: NotebookEnergy } {
  const field = learnedVectorField(dynamics, params);
  const trueField = learnedVectorField(truth(sys), null);
  const perStart = Array.from({ length: NOTEBOOK.starts }, (_, k) => {
    const q0 = starts[2 * k];
    const p0 = starts[2 * k + 1];
    // The truth's span and the models' (1.09× longer); each solve ends at its last save time.
    const truthTimes = linspace(0, NOTEBOOK.span * NOTEBOOK.stretch ** (k + 1), N_EVAL);
    const modelTimes = linspace(0, NOTEBOOK.span * NOTEBOOK.stretch ** (k + 2), N_EVAL);
    const pathOf = (f: typeof field, method: typeof dopri5, times: Float64Array) =>
      solve(f, Float64Array.of(q0, p0), {
        method: method(),
        t1: times[N_EVAL - 1],
        controller: pid(ROLLOUT_TOL),
        saveat: saveAt.times(times),
        throwOnFailure: true,
      }).ys[0];
    const path = pathOf(field, dopri5, modelTimes);
    const ref = pathOf(trueField, vern7, truthTimes);
    const e0 = sys.energy(q0, p0);
    const squares = (x: Float64Array, i: number) => x[2 * i] ** 2 + x[2 * i + 1] ** 2;
    let sqTrue = 0;
    let sqSquares = 0;
    for (let i = 0; i < N_EVAL; i++) {
      sqTrue += (e0 - sys.energy(path[2 * i], path[2 * i + 1])) ** 2;
      sqSquares += (squares(ref, i) - squares(path, i)) ** 2;
    }
    return { true: sqTrue / N_EVAL, squares: sqSquares / N_EVAL };
  });
  const summarize = (perStart: readonly number[]): NotebookEnergy => {
    const mean = perStart.reduce((a, b) => a + b, 0) / perStart.length;
    const size = NOTEBOOK.starts / NOTEBOOK.groups;
    const groupMeans = Array.from(
      { length: NOTEBOOK.groups },
      (_, g) => perStart.slice(g * size, (g + 1) * size).reduce((a, b) => a + b, 0) / size,
    );
    const gm = groupMeans.reduce((a, b) => a + b, 0) / NOTEBOOK.groups;
    const sd = Math.sqrt(groupMeans.reduce((a, b) => a + (b - gm) ** 2, 0) / NOTEBOOK.groups);
    return { mean, se: sd / Math.sqrt(NOTEBOOK.groups) };
  };
  return {
    true: summarize(perStart.map((e) => e.true)),
    squares: summarize(perStart.map((e) => e.squares)),
  };
}

/** The notebooks' 15 starts for one seed: q and p each uniform on ±[0.2, 1]. */
function notebookStarts(sys: System, seed: number): Float64Array {
  const rng = new Rng(seed * 7919 + 101 + (sys.key === 'pendulum' ? 1 : 0));
  return rng.uniform([NOTEBOOK.starts, 2], -0.8, 0.8).data.map((v) => v + 0.2 * Math.sign(v));
}

interface SeedResult {
  readonly seed: number;
  readonly trainLoss: { baseline: number; hnn: number };
  readonly testLoss: { baseline: number; hnn: number };
  readonly baseline: RolloutErrors;
  readonly hnn: RolloutErrors;
  readonly hnnDrift: number;
  /** Energy MSE as the paper's notebooks compute it. */
  readonly notebook: { readonly baseline: NotebookEnergy; readonly hnn: NotebookEnergy };
  /** The same with their `energy_loss` as written (q² + p²). */
  readonly notebookSquares: { readonly baseline: NotebookEnergy; readonly hnn: NotebookEnergy };
  /** Energies along test trajectory 0 (for the plot): truth, baseline, HNN. */
  readonly energies: { truth: number[]; baseline: number[]; hnn: number[] };
}

function runSeed(sys: System, seed: number, steps: number, log: (line: string) => void): SeedResult {
  const data = makeData(sys, seed);
  const hnn = hamiltonianNetwork({ dof: 1, hidden: [200, 200], activation: 'tanh' });
  const base = baselineNetwork({ dof: 1, hidden: [200, 200], activation: 'tanh' });
  const fitOne = (model: HamiltonianNetwork | BaselineNetwork, key: number) => {
    const started = Date.now();
    const fit = fitDerivatives(model, model.init(rngKey(key)), data.trainX, data.trainDx, {
      optimizer: adam(1e-3, { weightDecay: 1e-4 }),
      steps,
      onStep: (step, loss) => {
        if ((step + 1) % 500 === 0)
          log(`  ${sys.key} seed ${seed} ${model.kind} step ${step + 1}: loss ${loss.toExponential(3)}`);
      },
    });
    const test = derivativeLoss(model, fit.params, data.testX, data.testDx).item();
    log(
      `  ${sys.key} seed ${seed} ${model.kind}: train ${fit.losses[steps].toExponential(3)}, test ${test.toExponential(3)} (${((Date.now() - started) / 1000).toFixed(0)} s)`,
    );
    return { params: fit.params, train: fit.losses[steps], test };
  };
  const fb = fitOne(base, 1000 * seed + 1);
  const fh = fitOne(hnn, 1000 * seed + 2);
  const truthPaths = rollout(truth(sys), null, data.testY0, vern7());
  const basePaths = rollout(base, fb.params, data.testY0);
  const hnnPaths = rollout(hnn, fh.params, data.testY0);
  const starts = notebookStarts(sys, seed);
  const notebookBase = notebookEnergyMse(sys, base, fb.params, starts);
  const notebookHnn = notebookEnergyMse(sys, hnn, fh.params, starts);
  const energiesOf = (path: Float64Array) =>
    Array.from({ length: N_EVAL }, (_, i) => sys.energy(path[2 * i], path[2 * i + 1]));
  return {
    seed,
    trainLoss: { baseline: fb.train, hnn: fh.train },
    testLoss: { baseline: fb.test, hnn: fh.test },
    baseline: compare(sys, truthPaths, basePaths),
    hnn: compare(sys, truthPaths, hnnPaths),
    hnnDrift: learnedEnergyDrift(hnn, fh.params, hnnPaths),
    notebook: { baseline: notebookBase.true, hnn: notebookHnn.true },
    notebookSquares: { baseline: notebookBase.squares, hnn: notebookHnn.squares },
    energies: {
      truth: energiesOf(truthPaths[0]),
      baseline: energiesOf(basePaths[0]),
      hnn: energiesOf(hnnPaths[0]),
    },
  };
}

function stats(values: readonly number[]): { mean: number; sd: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd };
}

/** Three significant digits of v·1e3, mean ± sd over seeds. */
function milli(values: readonly number[]): string {
  const { mean, sd } = stats(values.map((v) => v * 1e3));
  const fmt = (v: number) =>
    v === 0 ? '0' : Math.abs(v) >= 1000 || Math.abs(v) < 0.01 ? v.toExponential(2) : v.toPrecision(3);
  return values.length > 1 ? `${fmt(mean)} ± ${fmt(sd)}` : fmt(mean);
}

const fmtRatio = (r: number) => (r >= 100 ? r.toExponential(1) : r.toFixed(1));

async function run(options: RunOptions) {
  const started = Date.now();
  const steps = options.quick ? 500 : 2000;
  const nSeeds = options.quick ? 2 : 3;
  const seeds = Array.from({ length: nSeeds }, (_, i) => options.seed + i);
  const results = new Map<System['key'], SeedResult[]>();
  for (const sys of SYSTEMS) {
    const rs: SeedResult[] = [];
    for (const seed of seeds) {
      options.log(`r5: ${sys.key}, seed ${seed}, ${steps} steps`);
      rs.push(runSeed(sys, seed, steps, options.log));
    }
    results.set(sys.key, rs);
  }
  const seconds = (Date.now() - started) / 1000;

  const metricsOf = (rs: readonly SeedResult[]) => {
    const b = stats(rs.map((r) => r.baseline.energyMse));
    const h = stats(rs.map((r) => r.hnn.energyMse));
    return {
      baseline_energy_mse: b.mean,
      hnn_energy_mse: h.mean,
      baseline_energy_mse_sd: b.sd,
      hnn_energy_mse_sd: h.sd,
      baseline_state_mse: stats(rs.map((r) => r.baseline.stateMse)).mean,
      hnn_state_mse: stats(rs.map((r) => r.hnn.stateMse)).mean,
      baseline_test_loss: stats(rs.map((r) => r.testLoss.baseline)).mean,
      hnn_test_loss: stats(rs.map((r) => r.testLoss.hnn)).mean,
      hnn_learned_energy_drift_max: Math.max(...rs.map((r) => r.hnnDrift)),
      notebook_baseline_energy_mse: stats(rs.map((r) => r.notebook.baseline.mean)).mean,
      notebook_hnn_energy_mse: stats(rs.map((r) => r.notebook.hnn.mean)).mean,
      notebook_squares_baseline_energy_mse: stats(rs.map((r) => r.notebookSquares.baseline.mean)).mean,
      notebook_squares_hnn_energy_mse: stats(rs.map((r) => r.notebookSquares.hnn.mean)).mean,
      per_seed: rs.map((r) => ({
        seed: r.seed,
        baseline_energy_mse: r.baseline.energyMse,
        hnn_energy_mse: r.hnn.energyMse,
        notebook_baseline_energy_mse: r.notebook.baseline.mean,
        notebook_baseline_energy_se: r.notebook.baseline.se,
        notebook_hnn_energy_mse: r.notebook.hnn.mean,
        notebook_hnn_energy_se: r.notebook.hnn.se,
      })),
    };
  };
  const spring = metricsOf(results.get('mass_spring') ?? []);
  const pendulum = metricsOf(results.get('pendulum') ?? []);
  // "Orders of magnitude": at least a factor 100 on every seed, measured as the paper measured it.
  const springRuns = results.get('mass_spring') ?? [];
  const notebookRatios = springRuns.map((r) => r.notebook.baseline.mean / r.notebook.hnn.mean);
  const springRatios = springRuns.map((r) => r.baseline.energyMse / r.hnn.energyMse);
  const holds = notebookRatios.every((r) => r >= 100);
  /** Energy-MSE table rows next to the published ones; `ratios` adds the baseline/HNN ratio per seed. */
  const energyRows = (pick: (r: SeedResult) => { baseline: number; hnn: number }, ratios = false) =>
    SYSTEMS.map((sys) => {
      const rs = (results.get(sys.key) ?? []).map(pick);
      const pub = sys.published;
      return [
        sys.label,
        milli(rs.map((r) => r.baseline)),
        milli(rs.map((r) => r.hnn)),
        `${pub.baseline[0]} ± ${pub.baseline[1]}`,
        `${pub.hnn[0]} ± ${pub.hnn[1]}`,
        ...(ratios ? [rs.map((r) => fmtRatio(r.baseline / r.hnn)).join(', ')] : []),
      ];
    });
  const notebookRows = energyRows(
    (r) => ({ baseline: r.notebook.baseline.mean, hnn: r.notebook.hnn.mean }),
    true,
  );
  const squaresRows = energyRows((r) => ({
    baseline: r.notebookSquares.baseline.mean,
    hnn: r.notebookSquares.hnn.mean,
  }));
  const tableRows = energyRows((r) => ({ baseline: r.baseline.energyMse, hnn: r.hnn.energyMse }));
  const detailRows: string[][] = [];
  for (const sys of SYSTEMS) {
    const rs = results.get(sys.key) ?? [];
    for (const [kind, pick] of [
      ['baseline', (r: SeedResult) => ({ e: r.baseline, tr: r.trainLoss.baseline, te: r.testLoss.baseline })],
      ['HNN', (r: SeedResult) => ({ e: r.hnn, tr: r.trainLoss.hnn, te: r.testLoss.hnn })],
    ] as const) {
      detailRows.push([
        sys.key,
        kind,
        milli(rs.map((r) => pick(r).tr)),
        milli(rs.map((r) => pick(r).te)),
        milli(rs.map((r) => pick(r).e.stateMse)),
        milli(rs.map((r) => pick(r).e.energyMse)),
      ]);
    }
  }

  const plotRows: { t: number; energy: number; model: string; system: string }[] = [];
  const tGrid = linspace(0, T_EVAL, N_EVAL);
  for (const sys of SYSTEMS) {
    const first = (results.get(sys.key) ?? [])[0];
    if (first === undefined) continue;
    for (const [model, values] of [
      ['truth', first.energies.truth],
      ['baseline', first.energies.baseline],
      ['HNN', first.energies.hnn],
    ] as const) {
      values.forEach((energy, i) => {
        plotRows.push({ t: tGrid[i], energy, model, system: sys.label });
      });
    }
  }
  const { svg } = await renderVegaLite(
    {
      width: 560,
      height: 170,
      data: { values: plotRows },
      facet: { row: { field: 'system', type: 'nominal', title: null } },
      spec: {
        mark: { type: 'line', strokeWidth: 1.4 },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 't' },
          y: { field: 'energy', type: 'quantitative', title: 'true energy H(q, p)', scale: { zero: false } },
          color: { field: 'model', type: 'nominal', title: null },
          strokeDash: { field: 'model', type: 'nominal', title: null },
        },
      },
      resolve: { scale: { y: 'independent' } },
    },
    { idPrefix: 'r5-energy', title: 'True energy along the rollouts of test trajectory 0 (seed 0)' },
  );

  const page = [
    '# R5 — Hamiltonian neural networks (Greydanus, Dzamba & Yosinski, NeurIPS 2019)',
    '',
    `Command: \`${options.command}\` — ${seeds.length} seeds (${seeds.join(', ')}), ${steps} full-batch Adam steps per model, ${seconds.toFixed(0)} s.`,
    options.quick
      ? "\n**Quick run**: 500 steps instead of the paper's 2000 and 2 seeds instead of 3; everything else as the full run.\n"
      : '',
    "## Energy MSE as the paper's notebooks compute it (×1e3)",
    '',
    markdownTable(
      [
        'system',
        'baseline (ours)',
        'HNN (ours)',
        'baseline (paper)',
        'HNN (paper)',
        'baseline / HNN per seed',
      ],
      notebookRows,
    ),
    '',
    "The paper's protocol (analyze-spring.ipynb, analyze-pend.ipynb): 15 starts with q and p each uniform on",
    `±[0.2, 1], ${N_EVAL} evaluation times; their \`integrate_models\` stretches the shared time span in place by`,
    '1 + 0.9σ = 1.09 after solving the truth and before solving the models, so the k-th start is compared over',
    `[0, 20·1.09^(k+1)] with the models at 1.09× those times (the last span ≈ ${(NOTEBOOK.span * NOTEBOOK.stretch ** (NOTEBOOK.starts + 1)).toFixed(0)});`,
    'per start the mean of (H(x0) − H(x_model))² over the times, then the mean over starts. Ours: mean ± sd over',
    "seeds (data, noise, weights and starts change with the seed); the paper's ± is the sd of 5 group means / √5",
    'of one training run. We use the true H for the pendulum as well.',
    '',
    `**Must hold — on the mass–spring the HNN conserves energy orders of magnitude better than the baseline: ${
      holds ? 'holds' : 'DOES NOT HOLD'
    }** (baseline/HNN energy-MSE ratio per seed, measured as the paper measured it: ${notebookRatios
      .map(fmtRatio)
      .join(', ')}; required: ≥ 100 on every seed).`,
    '',
    'The same with their `energy_loss` as written (`(x**2).sum(1)`, i.e. q² + p², compared between the truth at tᵢ and the',
    'model at 1.09·tᵢ; it is read from a copy of the notebook code, and it is an assumption that the pendulum',
    'notebook used the same function): for the mass–spring q² + p² is H, so the row repeats the one above; for the',
    'pendulum it is not conserved, and the 1.09 stretch alone makes it differ between truth and model:',
    '',
    markdownTable(
      ['system', 'baseline (ours)', 'HNN (ours)', 'baseline (paper)', 'HNN (paper)'],
      squaresRows,
    ),
    '',
    "## Energy MSE of rollouts from the test trajectories' initial states over [0, 20] (×1e3)",
    '',
    markdownTable(['system', 'baseline (ours)', 'HNN (ours)', 'baseline (paper)', 'HNN (paper)'], tableRows),
    '',
    "A shorter test of our own: the 25 test trajectories' clean initial states (radius U(0.1, 1) for the",
    `mass–spring), t ∈ [0, ${T_EVAL}] without the stretch. Here the baseline/HNN ratio on the mass–spring is`,
    `${springRatios.map(fmtRatio).join(', ')} per seed (${springRatios.filter((r) => r >= 100).length} of ${
      springRatios.length
    } at least 100): over the short horizon from small starts the baseline's drift has less time to grow.`,
    '',
    '## All metrics (×1e3, mean ± sd over seeds)',
    '',
    markdownTable(
      ['system', 'model', 'train loss', 'test loss', 'state MSE of rollouts', 'energy MSE of rollouts'],
      detailRows,
    ),
    '',
    `The learned energy H_θ along the HNN's own rollouts moves by at most ${Math.max(
      spring.hnn_learned_energy_drift_max,
      pendulum.hnn_learned_energy_drift_max,
    ).toExponential(
      1,
    )} (solver tolerance rtol ${ROLLOUT_TOL.rtol}, atol ${ROLLOUT_TOL.atol}): the learned field conserves`,
    "its own Hamiltonian; what remains of the HNN's energy error is H_θ ≠ H, not drift.",
    '',
    svg,
    '',
    '## Setup',
    '',
    "- Data (as the paper's code): 50 trajectories per seed, initial state (q, p) in a uniformly random",
    '  direction at radius r ~ U(0.1, 1) (mass–spring) or U(1.3, 2.3) (pendulum), sampled at 30 / 45',
    '  evenly spaced times on [0, 3] (solved with vern7 at rtol 1e-12); Gaussian noise σ = 0.1 on q and p;',
    '  the first 25 trajectories train, the last 25 test. **Targets are the true time derivatives**',
    "  (q̇, ṗ) of the true field at the clean states, as in the paper's code, not finite differences of the",
    '  noisy samples.',
    '- Models: HNN = MLP 2 → 200 → 200 → 1, tanh, field (∂H_θ/∂p, −∂H_θ/∂q) by second-order reverse-mode',
    '  autodiff (`hamiltonianNetwork`); baseline = MLP 2 → 200 → 200 → 2, tanh (`baselineNetwork`).',
    "  Orthogonal weight initialization as the paper's code; PyTorch's default biases (the paper's last",
    '  layer has no bias; here it has one, which cannot change an HNN field).',
    `- Training: loss = mean over points and components of (f_θ(x) − ẋ)², full batch, Adam lr 1e-3 with`,
    `  L2 weight decay 1e-4 (\`adam(1e-3, { weightDecay: 1e-4 })\`, as \`torch.optim.Adam\`), ${steps} steps.`,
    `- Rollouts (both protocols) by dopri5 at rtol ${ROLLOUT_TOL.rtol}, atol ${ROLLOUT_TOL.atol}. Short test: both fields and the`,
    `  true one are integrated from the 25 clean test initial states over t ∈ [0, ${T_EVAL}], saved at ${N_EVAL} evenly spaced times, with`,
    `  dopri5 at rtol ${ROLLOUT_TOL.rtol}, atol ${ROLLOUT_TOL.atol} (truth: vern7). Energy MSE = mean over trajectories and`,
    '  times of (H(x_true(t)) − H(x_model(t)))² with the true H; state MSE = mean of (x_true − x_model)².',
    '- Differences from the paper: several seeds instead of one run with bootstrapped errors; the',
    "  notebooks' starts are drawn from our generator, not numpy's; float64 throughout.",
    '',
  ].join('\n');

  return {
    metrics: {
      mass_spring: spring,
      pendulum,
      must_hold: holds,
      mass_spring_ratio_per_seed: notebookRatios,
      mass_spring_ratio_per_seed_short: springRatios,
      seeds,
      steps,
      seconds,
    },
    page,
  };
}

export const experiment: Experiment = {
  id: 'r5',
  title: 'Hamiltonian neural networks: mass–spring and pendulum energy conservation',
  run,
};
