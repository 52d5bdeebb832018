/**
 * R1: APHYNITY on the damped pendulum (Yin et al., ICLR 2021; ../shared/REPRODUCTIONS.md R1).
 *
 * Truth θ'' + ω0² sin θ + α θ' = 0 (T0 = 6, α = 0.2). Models: a neural ODE, the frictionless and
 * the damped pendulum fitted alone (Param ODE), the same physics augmented by an MLP closure
 * trained with APHYNITY's objective ‖F_a‖² + λ·L_traj and adaptive λ, and the naive augmentation
 * (physics + MLP, trajectory loss only). Everything runs through the library: the model
 * language, HybridModel (RK4 with a fixed step on the data grid, discrete adjoint), `train` with the `closureNorm`
 * trajectory regularizer and `adaptiveDataWeight`, and `polish` (L-BFGS) for the Param ODEs.
 *
 *     npm run repro -- r1 [--quick] [--seed N]
 *     R1_SIZE=paper npm run repro -- r1     (the authors' size: width 200, 50000 epochs, step 0.5; days)
 */
import { Tensor } from '../../src/autodiff/tensor.js';
import { parseModel } from '../../src/expr/parse.js';
import { HybridModel, type HybridParams } from '../../src/hybrid/hybridModel.js';
import { polish } from '../../src/hybrid/polish.js';
import type { Subject } from '../../src/hybrid/subject.js';
import { train } from '../../src/hybrid/trainer.js';
import type { TrajectoryBatch, TrajectoryRegularizer } from '../../src/hybrid/trajectoryBatch.js';
import { closureNorm, vectorFieldParts } from '../../src/hybrid/trajectoryRegularizers.js';
import { orthogonal } from '../../src/nn/init.js';
import { constantSteps, pid } from '../../src/ode/controller.js';
import { rk4 } from '../../src/ode/methods/rk4.js';
import { rk38 } from '../../src/ode/methods/rk38.js';
import { vern7 } from '../../src/ode/methods/vern7.js';
import { adam } from '../../src/optim/adam.js';
import {
  constantSchedule,
  cosineDecaySchedule,
  joinSchedules,
  type LearningRate,
} from '../../src/optim/schedules.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { foldIn, rngKey, splitKey, uniform } from '../../src/tensor/random.js';
import type { Experiment, RunOptions } from './experiment.js';
import { markdownTable, meanSd } from './experiment.js';

/** T0 as the paper states it; the authors' dataset code defaults to T0 = 12. */
const PERIOD = 6;
export const OMEGA0 = (2 * Math.PI) / PERIOD;
const ALPHA = 0.2;
export const DT = 0.5;
const N_TIMES = 40;

/** Settings of one run size. */
export interface Settings {
  readonly width: number;
  /** Epochs of the network models; each epoch = N_ITER Adam steps on the full training batch. */
  readonly epochs: number;
  readonly lr: number;
  /** Epochs over which the training horizon grows from 2 to 19.5 (0: the whole horizon from the start). */
  readonly curriculum: number;
  /** L-BFGS iterations after Adam on the same objective at the final λ (0: none). */
  readonly polish: number;
  readonly seeds: number;
  readonly nTrain: number;
  readonly nVal: number;
  readonly nTest: number;
  /**
   * Where ‖F_a‖² is evaluated: 'data' = on the observed training states (the authors' code:
   * no gradient through the solve), 'trajectory' = on the predicted states (gradient through
   * the discrete adjoint).
   */
  readonly normOn: 'data' | 'trajectory';
  /** Closure biases: 'zero' (the authors' init_weights) or 'torch' (U(±1/√fan_in), PyTorch's default). */
  readonly biasInit: 'zero' | 'torch';
  /** λ of the L-BFGS polish (default: the final λ of Adam). */
  readonly polishLambda?: number;
  /**
   * RK4 substeps per data interval in training and in the test solve: the step is 0.5/substeps
   * (1 = the authors' step 0.5, the data step).
   */
  readonly substeps: number;
  /**
   * If set, Adam's learning rate decays from `lr` to `lrFinal` (cosine) over the second half of
   * the epochs; otherwise it stays at `lr` (the authors' constant τ1).
   */
  readonly lrFinal?: number;
  /** T0 of the truth, ω0 = 2π/T0 (default 6, as the paper states). */
  readonly period?: number;
  /** The fixed-step RK4 variant: 'rk4' (classical, default) or 'rk38' (Kutta's 3/8 rule, torchdiffeq's `rk4`). */
  readonly method?: 'rk4' | 'rk38';
}

const omega0Of = (settings: Settings) => (2 * Math.PI) / (settings.period ?? PERIOD);
const methodOf = (settings: Settings) => (settings.method === 'rk38' ? rk38() : rk4());

/** What every run size shares: no curriculum, 25/25/25 trajectories, ‖F_a‖ on the data, zero biases. */
const COMMON = {
  curriculum: 0,
  nTrain: 25,
  nVal: 25,
  nTest: 25,
  normOn: 'data',
  biasInit: 'zero',
} as const;
/**
 * The default run (≈ 1 h on one core): width 32, lr 3e-3, RK4 with step 0.25 (2 steps per data
 * interval), 4000 epochs + 500 L-BFGS, 3 seeds. By 3500 epochs ω0 had converged at this step
 * (trial T12 below).
 */
export const FULL: Settings = {
  ...COMMON,
  width: 32,
  epochs: 4000,
  lr: 3e-3,
  polish: 500,
  seeds: 3,
  substeps: 2,
};
/**
 * The authors' size and step (`R1_SIZE=paper`): width 200, lr 1e-3 (τ1), 50000 epochs × 5 Adam
 * steps, RK4 with step 0.5, 3 seeds (+ the L-BFGS polish). ≈ 0.6 s per epoch at width 200 on one
 * core: days.
 */
const PAPER: Settings = {
  ...COMMON,
  width: 200,
  epochs: 50000,
  lr: 1e-3,
  polish: 1000,
  seeds: 3,
  substeps: 1,
};
/**
 * A few minutes on 2 cores: width 32, lr 3e-3, 2000 epochs, one seed, the authors' step 0.5 (at
 * step 0.25, 2000 epochs leave ω0 ≈ 12 % off, trial T11; the default run has the budget for it).
 */
export const QUICK: Settings = {
  ...COMMON,
  width: 32,
  epochs: 2000,
  lr: 3e-3,
  polish: 500,
  seeds: 1,
  substeps: 1,
};
export const N_ITER = 5;

const HEADER = `
state theta = 1
state omega = 0
obs th = theta ~ normal(0.01)
obs om = omega ~ normal(0.01)
`;

/** Model sources: physics (with the estimated parameters) and whether an MLP closure F is added. */
function source(
  physics: 'none' | 'w0' | 'w0_alpha' | 'true',
  width: number,
  closure: boolean,
  omega0 = OMEGA0,
): string {
  const params =
    physics === 'w0'
      ? 'param w0sq = 0.2 in [0, inf]\n'
      : physics === 'w0_alpha'
        ? 'param w0sq = 0.2 in [0, inf]\nparam alpha = 0.1 in [0, inf]\n'
        : physics === 'true'
          ? `param w0sq = ${omega0 * omega0} fixed\nparam alpha = ${ALPHA} fixed\n`
          : '';
  const net = closure ? `net F(theta, omega) -> (a, b) : mlp(${width}, ${width}, relu)\n` : '';
  const fa = closure ? ' + F.a' : '';
  const fb = closure ? ' + F.b' : '';
  const friction = physics === 'w0_alpha' || physics === 'true' ? ' - alpha*omega' : '';
  const eqs =
    physics === 'none'
      ? 'd/dt theta = F.a\nd/dt omega = F.b\n'
      : `d/dt theta = omega${fa}\nd/dt omega = -w0sq*sin(theta)${friction}${fb}\n`;
  return `model pendulum_${physics}${closure ? '_aug' : ''}\n${params}${HEADER}${net}${eqs}`;
}

type ModelId =
  | 'neural_ode'
  | 'param_ode_w0'
  | 'param_ode_w0_alpha'
  | 'aphynity_w0'
  | 'aphynity_w0_alpha'
  | 'naive_w0'
  | 'true_ode';

export interface ModelSpec {
  readonly id: ModelId;
  readonly label: string;
  readonly physics: 'none' | 'w0' | 'w0_alpha' | 'true';
  readonly closure: boolean;
  readonly aphynity: boolean;
  /** Published log10 MSE | %Err | ‖F_a‖² (Yin et al. 2021, Table 2, pendulum). */
  readonly paper: readonly [string, string, string];
}

export const MODELS: readonly ModelSpec[] = [
  {
    id: 'neural_ode',
    label: 'Neural ODE',
    physics: 'none',
    closure: true,
    aphynity: false,
    paper: ['-2.84 ± 0.70', '—', '—'],
  },
  {
    id: 'param_ode_w0',
    label: 'Param ODE (ω0)',
    physics: 'w0',
    closure: false,
    aphynity: false,
    paper: ['-0.14', '13.2', '—'],
  },
  {
    id: 'param_ode_w0_alpha',
    label: 'Param ODE (ω0, α)',
    physics: 'w0_alpha',
    closure: false,
    aphynity: false,
    paper: ['-8.28', '0.45', '—'],
  },
  {
    id: 'aphynity_w0',
    label: 'APHYNITY Param ODE (ω0)',
    physics: 'w0',
    closure: true,
    aphynity: true,
    paper: ['-7.86 ± 0.60', '4.0', '132'],
  },
  {
    id: 'aphynity_w0_alpha',
    label: 'APHYNITY Param ODE (ω0, α)',
    physics: 'w0_alpha',
    closure: true,
    aphynity: true,
    paper: ['-8.31', '0.39', '8.5'],
  },
  {
    id: 'naive_w0',
    label: 'Param ODE (ω0) + MLP, no norm penalty',
    physics: 'w0',
    closure: true,
    aphynity: false,
    paper: ['—', '—', '—'],
  },
  {
    id: 'true_ode',
    label: 'True ODE',
    physics: 'true',
    closure: false,
    aphynity: false,
    paper: ['-8.58', '—', '—'],
  },
];

const SPLITS = ['train', 'val', 'test'];

/** Trajectories from initial states with radius in (1.3, 2.3) along a uniform direction in [−1, 1]². */
export function dataset(
  seed: number,
  prefix: 'train' | 'val' | 'test',
  n: number,
  omega0 = OMEGA0,
): Subject[] {
  const truth = new HybridModel(parseModel(source('true', 0, false, omega0)), {
    method: vern7(),
    controller: pid({ rtol: 1e-10, atol: 1e-12 }),
  });
  const [kd, kr] = splitKey(foldIn(rngKey(seed), SPLITS.indexOf(prefix)), 2);
  const dirs = uniform(kd, [n, 2], -1, 1).data;
  const radii = uniform(kr, [n], 1.3, 2.3).data;
  const times = Float64Array.from({ length: N_TIMES }, (_, i) => DT * i);
  const subjects: Subject[] = Array.from({ length: n }, (_, k) => {
    const norm = Math.hypot(dirs[2 * k], dirs[2 * k + 1]);
    const y0 = Float64Array.of((radii[k] * dirs[2 * k]) / norm, (radii[k] * dirs[2 * k + 1]) / norm);
    return { id: `${prefix}${k}`, times, observations: new Float64Array(2 * N_TIMES), y0 };
  });
  return truth
    .predict(truth.init(), subjects)
    .map((p, k) => ({ ...subjects[k], observations: p.observables }));
}

/**
 * APHYNITY's closure init: orthogonal weights with gain 0.2; biases 0 (the authors'
 * `init_weights`) or U(±1/√fan_in) (PyTorch's Linear default).
 */
export function closureInit(hm: HybridModel, seed: number, biasInit: 'zero' | 'torch'): HybridParams {
  const p = hm.init(rngKey(seed));
  if (!('F' in p.nets)) return p;
  const keys = splitKey(rngKey(1000 + seed), 2 * p.nets.F.length);
  const layers = p.nets.F.map((l, i) => {
    const fanIn = l.w.shape[1];
    const bound = 1 / Math.sqrt(fanIn);
    return {
      w: orthogonal({ gain: 0.2 }).sample(keys[2 * i], l.w.shape),
      b:
        biasInit === 'zero'
          ? new Tensor(new NDArray(new Float64Array(l.b.size), l.b.shape))
          : new Tensor(uniform(keys[2 * i + 1], l.b.shape, -bound, bound)),
    };
  });
  return { ...p, nets: { F: layers } };
}

/**
 * The authors' ‖F_a‖²: closureNorm evaluated on the observed states of the batch's trajectories
 * (cut at the same save times) instead of the predicted ones. Its cotangents on the states are
 * dropped (they would enter the adjoint otherwise): the gradient reaches the closure's weights
 * only, as in the reference code, where F_a is applied to the data tensor.
 */
function closureNormOnData(inner: TrajectoryRegularizer): TrajectoryRegularizer {
  return {
    kind: 'trajectory',
    name: `${inner.name}OnData`,
    penalty(batch: TrajectoryBatch) {
      const states = batch.states.map((s, b) => batch.subjects[b].observations.subarray(0, s.length));
      const gradient =
        batch.gradient === null
          ? null
          : {
              ...batch.gradient,
              statesBar: batch.states.map((s) => new Float64Array(s.length)),
            };
      return inner.penalty({ ...batch, states, gradient });
    },
  };
}

export interface Outcome {
  readonly logMse: number;
  readonly logMseFine: number;
  /** λ at the end of Adam (APHYNITY's adaptive weight; 1 for the others), null without training. */
  readonly lambda: number | null;
  readonly paramErrPct: number | null;
  readonly faNorm2: number | null;
  readonly w0: number | null;
  readonly alpha: number | null;
  readonly seconds: number;
  /** Whether the L-BFGS polish was kept (it fit the validation set better); null without one. */
  readonly polishKept: boolean | null;
  readonly prediction: Float64Array | null;
  /** The network models' progress at the logged epochs (every tenth of the run, and the first). */
  readonly trace: readonly TracePoint[];
  /** log10 MSE on the training trajectories. */
  readonly trainLogMse: number;
}

/** One logged epoch of a network model: λ, ω0 (null without one), training and validation MSE. */
export interface TracePoint {
  readonly epoch: number;
  readonly lambda: number;
  readonly w0: number | null;
  readonly fit: number;
  readonly val: number;
}

/** Test metrics: log10 MSE over the test states, %Err of ω0 (and α), Σ‖F_a‖² over the test points. */
function assess(
  hm: HybridModel,
  spec: ModelSpec,
  params: HybridParams,
  test: readonly Subject[],
  omega0 = OMEGA0,
) {
  const logMseOf = (model: HybridModel) => {
    let sq = 0;
    let n = 0;
    let first: Float64Array | null = null;
    try {
      model.predict(params, test).forEach((p, k) => {
        if (k === 0) first = p.states;
        for (let i = 0; i < p.states.length; i++) {
          sq += (p.states[i] - test[k].observations[i]) ** 2;
          n++;
        }
      });
    } catch {
      return { logMse: Number.NaN, first };
    }
    return { logMse: Math.log10(sq / n), first };
  };
  const { logMse, first } = logMseOf(hm);
  // The same fitted model with 10× finer RK4 steps: its error without the training discretization's.
  const fine = logMseOf(
    new HybridModel(hm.model, { method: rk4(), controller: constantSteps(DT / 10) }),
  ).logMse;
  const values = hm.parameterValues(params);
  let paramErrPct: number | null = null;
  let w0: number | null = null;
  let alpha: number | null = null;
  if (spec.physics === 'w0' || spec.physics === 'w0_alpha') {
    w0 = Math.sqrt(values.w0sq);
    const errs = [Math.abs(w0 - omega0) / omega0];
    if (spec.physics === 'w0_alpha') {
      alpha = values.alpha;
      errs.push(Math.abs(alpha - ALPHA) / ALPHA);
    }
    paramErrPct = (100 * errs.reduce((a, b) => a + b, 0)) / errs.length;
  }
  let faNorm2: number | null = null;
  if (spec.closure && spec.physics !== 'none') {
    let total = 0;
    const probe: TrajectoryRegularizer = {
      kind: 'trajectory',
      name: 'faNorm2',
      penalty(batch) {
        const { g } = vectorFieldParts(batch);
        for (const v of g) total += v * v;
        return 0;
      },
    };
    hm.evaluate(params, test, { penalties: [probe], gradient: false });
    faNorm2 = total;
  }
  return { logMse, logMseFine: fine, paramErrPct, faNorm2, w0, alpha, prediction: first };
}

/** Adam's learning rate: constant, or constant then a cosine decay over the second half. */
function learningRate(settings: Settings): LearningRate {
  if (settings.lrFinal === undefined) return settings.lr;
  const half = Math.max(1, Math.floor((settings.epochs * N_ITER) / 2));
  return joinSchedules(
    [
      constantSchedule(settings.lr),
      cosineDecaySchedule(settings.lr, { decaySteps: half, final: settings.lrFinal }),
    ],
    [half],
  );
}

/** The model of one row under the settings' integrator and step (RK4 with step 0.5/substeps). */
export function modelOf(spec: ModelSpec, settings: Settings): HybridModel {
  return new HybridModel(parseModel(source(spec.physics, settings.width, spec.closure, omega0Of(settings))), {
    method: methodOf(settings),
    controller: constantSteps(DT / settings.substeps),
  });
}

export function runModel(
  spec: ModelSpec,
  settings: Settings,
  seed: number,
  data: { train: Subject[]; val: Subject[]; test: Subject[] },
  log: (line: string) => void,
): Outcome {
  const started = Date.now();
  const omega0 = omega0Of(settings);
  const hm = modelOf(spec, settings);
  let params = closureInit(hm, seed, settings.biasInit);
  const norm = (weight?: number) => {
    const r = closureNorm({ normalized: true, ...(weight === undefined ? {} : { weight }) });
    return settings.normOn === 'data' ? closureNormOnData(r) : r;
  };
  let lambda: number | null = null;
  let polishKept: boolean | null = null;
  const trace: TracePoint[] = [];
  const all = [...data.train, ...data.val];
  const validation = { ids: data.val.map((s) => s.id) };
  if (spec.id === 'true_ode') {
    // Nothing to fit: the truth's equations under the training discretization.
  } else if (!spec.closure) {
    // Two physical parameters: Adam to get near, L-BFGS into the minimum.
    const r = train(hm, params, all, {
      optimizer: adam(1e-2),
      epochs: 300,
      validation,
      seed,
      curriculum: { start: 2, end: 19.5, epochs: 150 },
    });
    params = polish(hm, r.params, data.train, { iterations: 200 }).params;
  } else {
    const every = Math.max(1, Math.floor(settings.epochs / 10));
    const r = train(hm, params, all, {
      optimizer: adam(learningRate(settings)),
      epochs: settings.epochs,
      validation,
      seed,
      // Every network model gets N_ITER Adam steps per epoch on the full batch; APHYNITY also
      // updates λ ← λ + τ2·L_traj after them (τ2 = 1, λ0 = 1), the others keep λ = 1.
      adaptiveDataWeight: { initial: 1, rate: spec.aphynity ? 1 : 0, steps: N_ITER },
      ...(settings.curriculum > 0
        ? { curriculum: { start: 2, end: 19.5, epochs: settings.curriculum } }
        : {}),
      ...(spec.aphynity ? { regularizers: [norm()] } : {}),
      onCheckpoint: (st) => {
        if (st.epoch % every !== 0 && st.epoch !== 1) return;
        const e = st.history[st.history.length - 1];
        const v = hm.parameterValues(st.params);
        trace.push({
          epoch: e.epoch,
          lambda: e.dataWeight ?? 1,
          w0: 'w0sq' in v ? Math.sqrt(v.w0sq) : null,
          fit: e.dataLoss,
          val: e.valLoss ?? Number.NaN,
        });
        log(
          `  ${spec.id} seed ${seed} epoch ${e.epoch}/${settings.epochs}: loss ${e.loss.toExponential(3)}, ` +
            `fit ${e.dataLoss.toExponential(3)}, val ${e.valLoss?.toExponential(3)}, λ ${(e.dataWeight ?? 1).toFixed(2)}` +
            ('w0sq' in v ? `, ω0 ${Math.sqrt(v.w0sq).toFixed(4)}` : '') +
            ` (${((Date.now() - started) / 1000).toFixed(0)} s)`,
        );
      },
      onEvent: (e) => {
        if (e.kind === 'nonFinite' || e.kind === 'diverged')
          log(`  ${spec.id} seed ${seed}: ${e.kind} ${e.reason}`);
      },
    });
    params = r.params;
    lambda = r.last.dataWeight ?? 1;
    if (settings.polish > 0) {
      // The same objective at the final λ, divided by λ: ‖F_a‖²/λ + L_traj (naive: L_traj).
      const polishLambda = settings.polishLambda ?? lambda;
      const before = assess(hm, spec, params, data.test, omega0);
      log(
        `  ${spec.id} seed ${seed}: before L-BFGS log10 MSE ${before.logMse.toFixed(2)}` +
          (before.w0 === null ? '' : `, ω0 ${before.w0.toFixed(4)}`),
      );
      const p = polish(hm, params, data.train, {
        iterations: settings.polish,
        ...(spec.aphynity ? { regularizers: [norm(1 / polishLambda)] } : {}),
      });
      // Keep the polished parameters only if they fit the validation trajectories better.
      const valBefore = assess(hm, spec, params, data.val, omega0).logMse;
      const valAfter = assess(hm, spec, p.params, data.val, omega0).logMse;
      polishKept = valAfter <= valBefore;
      log(
        `  ${spec.id} seed ${seed}: L-BFGS ${p.result.iterations} iterations, λ = ${polishLambda.toFixed(2)}; ` +
          `validation log10 MSE ${valBefore.toFixed(2)} → ${valAfter.toFixed(2)}, ${polishKept ? 'kept' : 'dropped'}`,
      );
      if (polishKept) params = p.params;
    }
  }
  const m = assess(hm, spec, params, data.test, omega0);
  const trainMse = assess(hm, spec, params, data.train, omega0).logMse;
  const seconds = (Date.now() - started) / 1000;
  log(
    `${spec.id} seed ${seed}: log10 MSE ${m.logMse.toFixed(2)} (step 0.05: ${m.logMseFine.toFixed(2)}; training trajectories ${trainMse.toFixed(2)})` +
      (m.paramErrPct === null ? '' : `, %Err ${m.paramErrPct.toFixed(2)}`) +
      (m.faNorm2 === null ? '' : `, ‖F_a‖² ${m.faNorm2.toFixed(2)}`) +
      ` (${seconds.toFixed(0)} s)`,
  );
  return { ...m, lambda, polishKept, seconds, trace, trainLogMse: trainMse };
}

const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;

/** One row of the truth-and-integrator check: the models without a network at the authors' step 0.5. */
interface SettingRow {
  readonly period: number;
  readonly method: 'rk4' | 'rk38';
  readonly true_ode_log10_mse: number;
  readonly param_ode_w0_log10_mse: number;
  readonly param_ode_w0_err_pct: number;
  readonly param_ode_w0_alpha_log10_mse: number;
  readonly param_ode_w0_alpha_err_pct: number;
  /** Test trajectories whose initial energy ½θ'² + ω0²(1 − cos θ) exceeds 2ω0²: they go over the top. */
  readonly over_the_top: number;
  readonly n_test: number;
}

/**
 * Which truth and integrator can the paper's rows without a network come from? The true
 * equations and the two Param ODEs (fitted as in the main table) at the authors' step 0.5, for
 * T0 = 6 (the paper's text) and T0 = 12 (the default of their dataset code), under the classical
 * RK4 and the 3/8 rule (torchdiffeq's `rk4`, which their code calls on the data grid).
 */
export function truthAndIntegratorCheck(
  settings: Settings,
  seed: number,
  data: { train: Subject[]; val: Subject[]; test: Subject[] },
  log: (line: string) => void,
): SettingRow[] {
  return [PERIOD, 12].flatMap((period) => {
    const omega0 = (2 * Math.PI) / period;
    const d =
      period === PERIOD
        ? data
        : {
            train: dataset(seed, 'train', settings.nTrain, omega0),
            val: dataset(seed, 'val', settings.nVal, omega0),
            test: dataset(seed, 'test', settings.nTest, omega0),
          };
    const overTheTop = d.test.filter((s) => {
      const [theta, omega] = s.observations;
      return 0.5 * omega * omega + omega0 * omega0 * (1 - Math.cos(theta)) > 2 * omega0 * omega0;
    }).length;
    return (['rk4', 'rk38'] as const).map((method) => {
      const at: Settings = { ...settings, substeps: 1, period, method };
      const run = (id: ModelId) => runModel(MODELS.find((m) => m.id === id)!, at, seed, d, log);
      const truth = run('true_ode');
      const w0 = run('param_ode_w0');
      const w0Alpha = run('param_ode_w0_alpha');
      return {
        period,
        method,
        true_ode_log10_mse: truth.logMse,
        param_ode_w0_log10_mse: w0.logMse,
        param_ode_w0_err_pct: w0.paramErrPct!,
        param_ode_w0_alpha_log10_mse: w0Alpha.logMse,
        param_ode_w0_alpha_err_pct: w0Alpha.paramErrPct!,
        over_the_top: overTheTop,
        n_test: d.test.length,
      };
    });
  });
}

/** The page's section on the truth-and-integrator check, its conclusions computed from the rows. */
export function truthAndIntegratorSection(rows: readonly SettingRow[]): string[] {
  const label = (m: 'rk4' | 'rk38') => (m === 'rk4' ? 'classical' : '3/8 rule');
  const at = (period: number) => rows.filter((r) => r.period === period);
  const best = (rs: readonly SettingRow[], key: 'true_ode_log10_mse' | 'param_ode_w0_alpha_log10_mse') =>
    Math.min(...rs.map((r) => r[key]));
  const six = at(PERIOD);
  const twelve = at(12);
  const w0Six = six.map((r) => r.param_ode_w0_err_pct.toFixed(1)).join(' / ');
  const w0Twelve = Math.min(...twelve.map((r) => r.param_ode_w0_log10_mse));
  return [
    '## Which truth and integrator the published rows fit',
    '',
    "The rows without a network, at the authors' step 0.5, for T0 = 6 (the paper's text) and T0 = 12 (the default of " +
      "their dataset code, `omega0_square=(2 * math.pi / 12) ** 2`), under the classical RK4 and Kutta's 3/8 rule " +
      '(`rk38()`, the method torchdiffeq runs as `rk4`, which their forecaster calls on the data grid). Same data seed, ' +
      'same fitting as the main table; test log10 MSE (%Err).',
    '',
    markdownTable(
      [
        'T0',
        'RK4',
        'true ODE (paper −8.58)',
        'Param ODE (ω0) (paper −0.14, 13.2 %)',
        'Param ODE (ω0, α) (paper −8.28, 0.45 %)',
        'test trajectories over the top',
      ],
      rows.map((r) => [
        String(r.period),
        label(r.method),
        r.true_ode_log10_mse.toFixed(2),
        `${r.param_ode_w0_log10_mse.toFixed(2)} (${r.param_ode_w0_err_pct.toFixed(1)} %)`,
        `${r.param_ode_w0_alpha_log10_mse.toFixed(2)} (${r.param_ode_w0_alpha_err_pct.toFixed(2)} %)`,
        `${r.over_the_top} of ${r.n_test}`,
      ]),
    ),
    '',
    `At T0 = 6 the Param ODE (ω0) row matches the paper (ω0 error ${w0Six} % vs 13.2 %), but at step 0.5 neither RK4 ` +
      `brings the true ODE below log10 MSE ${best(six, 'true_ode_log10_mse').toFixed(2)} or the fitted Param ODE (ω0, α) ` +
      `below ${best(six, 'param_ode_w0_alpha_log10_mse').toFixed(2)} (paper −8.58 and −8.28). At T0 = 12 those two rows ` +
      `reach ${best(twelve, 'true_ode_log10_mse').toFixed(2)} and ${best(twelve, 'param_ode_w0_alpha_log10_mse').toFixed(2)}, ` +
      `close to the paper's, but there ${twelve[0].over_the_top} of ${twelve[0].n_test} test pendulums go over the top and ` +
      `the frictionless Param ODE (ω0) reaches only log10 MSE ${w0Twelve.toFixed(2)} (paper −0.14). No one setting ` +
      "gives all of the paper's rows, so its APHYNITY (ω0) figure (−7.86) may come from a setting whose discretization " +
      'floor is far below the one of T0 = 6 at step 0.5. Our main table keeps T0 = 6, as the paper states.',
  ];
}

/** A small SVG: θ of test trajectory 0, truth vs some models. */
function plot(
  times: Float64Array,
  series: readonly { name: string; theta: Float64Array; color: string }[],
): string {
  const W = 640;
  const H = 260;
  const pad = 40;
  const all = series.flatMap((s) => Array.from(s.theta));
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const x = (t: number) => pad + ((W - 2 * pad) * t) / times[times.length - 1];
  const y = (v: number) => H - pad - ((H - 2 * pad) * (v - lo)) / (hi - lo || 1);
  const lines = series.map((s, k) => {
    const pts = Array.from(times, (t, i) => `${x(t).toFixed(1)},${y(s.theta[i]).toFixed(1)}`).join(' ');
    const dash = k === 0 ? '' : ` stroke-dasharray="${3 + 2 * k},3"`;
    return (
      `<polyline fill="none" stroke="${s.color}" stroke-width="1.5"${dash} points="${pts}"/>` +
      `<text x="${W - pad - 150}" y="${pad + 14 * k}" font-size="11" fill="${s.color}">${s.name}</text>`
    );
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="theta of test trajectory 0">` +
    `<rect width="${W}" height="${H}" fill="white"/>` +
    `<line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="#888"/>` +
    `<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${H - pad}" stroke="#888"/>` +
    `<text x="${W / 2}" y="${H - 8}" font-size="11" text-anchor="middle">t</text>` +
    `<text x="12" y="${H / 2}" font-size="11">θ</text>` +
    `${lines.join('')}</svg>`
  );
}

/**
 * Trials behind the recipe (APHYNITY (ω0) only, data seed 0, network seed 0, through
 * `runModel` with the settings named; none of them is this run). Printed on every page.
 */
/** How the default run differs from the paper's size (printed on its page). */
const SIZE_NOTE =
  `**Size.** This default run is smaller than the paper's: width ${FULL.width} instead of 200, ${FULL.epochs} epochs × ` +
  `${N_ITER} Adam steps (${FULL.epochs * N_ITER}) instead of 50000 × 5 (250000), lr ${FULL.lr} instead of 1e-3, so that ` +
  "it finishes in about an hour on one core (at width 200 one epoch takes ≈ 0.6 s on one core at step 0.5, so the authors' " +
  "size is days here). The authors' size is available as `R1_SIZE=paper npm run repro -- r1` (width 200, lr 1e-3, 50000 " +
  'epochs, step 0.5, 3 seeds); it has not been run.';

const EXPLORATION: readonly string[] = [
  '## Trials behind the recipe (issue #7)',
  '',
  'Single runs of APHYNITY (ω0) alone (data seed 0, network seed 0, `runModel` with the settings named; test log10 MSE, ' +
    'ω0 and its error, final λ), all with no curriculum, ‖F_a‖ on the data states and zero biases unless said; the L-BFGS ' +
    'polish, where there is one, was always kept in these trials:',
  '',
  "- Before (the previous quick page): ‖F_a‖ on the predicted states, PyTorch's bias init, a curriculum over 100 epochs, " +
    'width 32, lr 3e-3, 300 epochs + 300 L-BFGS: −3.27 ± 0.17 (3 seeds), ω0 error 0.70 %, λ ≈ 5: with the curriculum the ' +
    'early trajectory losses are small, so λ stays small and the norm term keeps the fit loose.',
  '- T1, width 200, lr 1e-3, 1000 epochs: −2.69, ω0 = 0.571 (45 %), λ = 78.9; 0.6 s per epoch (one core).',
  '- T3, width 32, lr 1e-3, 12000 epochs: ω0 = 0.600, 0.745, 0.906, 1.007, 1.036, 1.040 at epochs 1200, 2400, 3600, 6000, ' +
    '9600, 12000 (the closure first absorbs the whole missing force, then the norm term hands it to ω0, slowly); λ = 326.6 ' +
    '(set in the first epochs, while the frequency is wrong and L_traj ~ 10–100); test −4.73, ω0 error 0.95 %; 0.04 s per epoch.',
  '- T4, width 32, lr 3e-3, 4000 epochs + 500 L-BFGS at the final λ = 114: −4.48 before L-BFGS, −4.89 after, ω0 error 0.04 %.',
  '- T5, width 64, lr 3e-3, 4000 epochs + 1000 L-BFGS at λ = 61.8: −4.32 before, −4.19 after (training trajectories −4.55): ' +
    'at this λ the minimum of ‖F_a‖² + λ·L_traj itself sits at L_traj ≈ 3e-5.',
  "- T6, as T4 but the L-BFGS polish at λ = 3000 (not the authors' rule): training trajectories −6.83, test −5.45, ω0 error 0.005 %.",
  '- T9, width 32, lr 1e-3 (τ1), 30000 epochs (150000 Adam steps) + 1000 L-BFGS at the final λ = 326.7: ω0 = 1.007, 1.034, ' +
    '1.042, 1.042 at epochs 6000, 9000, 18000, 30000; validation MSE ≈ 5e-5 from epoch 9000 on (λ stalled, Adam at lr 1e-3 ' +
    'noisy); −4.73 before L-BFGS, −5.14 after (training trajectories −5.70), ω0 error 0.39 %; 1305 s.',
  '- T7, width 32, lr 3e-3, 2000 epochs + 500 L-BFGS (the quick settings, where ‖F_a‖ on the data states gives −4.46, ' +
    'ω0 error 0.75 %, λ = 109.8) with ‖F_a‖ on the predicted states instead: −4.79, 0.53 %, λ = 121.9. T8, the same with ' +
    "PyTorch's bias init U(±1/√fan_in) instead of zeros: −4.42, 0.88 %, λ = 116.7. Neither choice moves the result much (one " +
    'seed each); dropping the curriculum (λ ≈ 110 instead of ≈ 5) is what moved it, from −3.27 to about −4.5.',
  '',
  'Trials with RK4 substeps (the `substeps` setting: step 0.5/k in training and in the test solve; ‖F_a‖ on the data ' +
    'states, zero biases, no curriculum; run one at a time on one core, `runModel` on data seed 0, network seed 0):',
  '',
  '- The true equations under RK4 with step 0.5, 0.25, 0.167, 0.125, 0.1 (k = 1…5): log10 MSE −5.24, −7.60, −8.98, −9.97, −10.74 ' +
    'against the rtol-1e-10 truth. From k = 2 on the discretization no longer caps the test MSE near −5.',
  '- T10, k = 4, width 32, lr 3e-3, 2000 epochs + 500 L-BFGS: −3.96, ω0 = 0.922 (12.0 %), λ = 104.7; L-BFGS dropped ' +
    '(validation −3.81 → −3.62); 265 s. With the finer step ω0 climbs more slowly than at step 0.5 (0.92 vs 1.04 at epoch 2000).',
  '- T11, k = 2, otherwise as T10: −3.87, ω0 = 0.918 (12.4 %), λ = 105.1; L-BFGS dropped (−3.82 → −3.37); 148 s.',
  '- T12, k = 2, 5000 epochs + 500 L-BFGS: ω0 = 1.019, 1.039, 1.042 at epochs 2500, 3500, 5000; training MSE ≈ 1.4e-5 from ' +
    'epoch 3500 on; test −4.63, ω0 error 0.58 %, λ = 105.8; L-BFGS dropped (−4.74 → −4.69); 346 s.',
  "- T14, as T12 with Adam's lr decaying (cosine) from 3e-3 to 3e-5 over the second half (the `lrFinal` setting): the " +
    'training MSE stays at 1.4e-5; test −4.76, ω0 error 0.70 %, λ = 105.7; L-BFGS dropped (−4.65 → −4.31); 362 s.',
  '- λ at lr 1e-3 (τ1), k = 2: 282 at epoch 40, 324 at epoch 400 (≈ 105 at lr 3e-3): the slower first descent accumulates ' +
    'more of τ2·L_traj.',
  '- T15, k = 2, width 32, lr 1e-3 (τ1), 4500 epochs + 500 L-BFGS: λ = 326.2; ω0 = 0.604, 0.714, 0.966 at epochs 1350, ' +
    '2250, 4500 (the checkpoint picked on validation has 0.904); training MSE 5e-6 but validation 3e-4 (the closure still ' +
    'carries the missing ω0 force, fitted on the training states only); test −3.82, ω0 error 13.7 %; L-BFGS dropped ' +
    '(−3.60 → −3.36); 327 s. Its ω0 would need ≳ 10000 epochs (T3), beyond the hour the default run has for 12 network runs.',
  '',
  "What limits APHYNITY (ω0) here: λ. Under λ ← λ + τ2·L_traj, λ is fixed by the first epochs' large losses " +
    '(60–330 depending on width and lr) and then stalls (τ2·L_traj ~ 1e-5 per epoch). At λ ≈ 105 the minimum of the ' +
    'objective ‖F_a‖² + λ·L_traj itself lies at a training MSE ≈ 1.4e-5 (log10 ≈ −4.85): with RK4 substeps, so that the ' +
    'discretization is no longer the floor, Adam with a decaying lr stays there (T14) and L-BFGS on the same objective only ' +
    'trades trajectory error for a smaller closure (validation worse, T10–T14). Lowering the penalty weight by hand (T6) is ' +
    "not the authors' rule. A larger λ (lr 1e-3: λ ≈ 325) moves that minimum down but makes ω0 converge far more slowly " +
    "(T3, T9, T15). The paper's −7.86 was not reached by any setting we could afford; its true-ODE row (−8.58) is below " +
    'what RK4 with step 0.5 gives.',
];

export const experiment: Experiment = {
  id: 'r1',
  title: 'APHYNITY damped pendulum (Yin et al., ICLR 2021)',
  async run(options: RunOptions) {
    const size = process.env.R1_SIZE;
    if (size !== undefined && size !== '' && size !== 'paper' && size !== 'default')
      throw new Error(`r1: R1_SIZE must be 'paper' or 'default' (or unset), got "${size}"`);
    const paperSize = !options.quick && size === 'paper';
    const settings = options.quick ? QUICK : paperSize ? PAPER : FULL;
    const step = DT / settings.substeps;
    const data = {
      train: dataset(options.seed, 'train', settings.nTrain),
      val: dataset(options.seed, 'val', settings.nVal),
      test: dataset(options.seed, 'test', settings.nTest),
    };
    const seeds = Array.from({ length: settings.seeds }, (_, i) => options.seed + i);
    const results = new Map<ModelId, Outcome[]>();
    for (const spec of MODELS) {
      const runs = spec.closure ? seeds : [options.seed];
      results.set(
        spec.id,
        runs.map((s) => runModel(spec, settings, s, data, options.log)),
      );
    }
    const summary = (id: ModelId) => {
      const rs = results.get(id)!;
      const spec = MODELS.find((m) => m.id === id)!;
      return {
        log10_mse: mean(rs.map((r) => r.logMse)),
        param_err_pct: rs[0].paramErrPct === null ? null : mean(rs.map((r) => r.paramErrPct!)),
        fa_norm2: spec.closure && spec.physics !== 'none' ? mean(rs.map((r) => r.faNorm2!)) : null,
      };
    };
    const metrics: Record<string, unknown> = {};
    for (const spec of MODELS) metrics[spec.id] = summary(spec.id);
    const aph = summary('aphynity_w0');
    const checks = {
      aphynity_w0_log10_mse_le_minus6: aph.log10_mse <= -6,
      aphynity_w0_err_le_5pct: aph.param_err_pct! <= 5,
      aphynity_w0_better_than_neural_ode: aph.log10_mse < summary('neural_ode').log10_mse,
      aphynity_w0_better_than_param_ode_w0: aph.log10_mse < summary('param_ode_w0').log10_mse,
      naive_w0_err_larger: summary('naive_w0').param_err_pct! > aph.param_err_pct!,
    };
    metrics.checks = checks;
    // The true equations under the authors' step 0.5, for the discretization note.
    const trueSpec = MODELS.find((m) => m.id === 'true_ode')!;
    const trueAtHalf =
      settings.substeps === 1
        ? results.get('true_ode')![0].logMse
        : runModel(trueSpec, { ...settings, substeps: 1 }, options.seed, data, options.log).logMse;
    metrics.true_ode_step_0_5_log10_mse = trueAtHalf;
    const settingRows = truthAndIntegratorCheck(settings, options.seed, data, options.log);
    metrics.truth_and_integrator = settingRows;
    const aphRuns = results.get('aphynity_w0')!;
    const perSeed = results.get('naive_w0')!.map((r, i) => r.paramErrPct! > aphRuns[i].paramErrPct!);

    const fmt = (v: readonly (number | null)[], digits: number) =>
      v.some((x) => x === null) ? '—' : meanSd(v as number[], digits);
    const rows = MODELS.map((spec) => {
      const rs = results.get(spec.id)!;
      return [
        spec.id === 'true_ode' ? `${spec.label} (RK4, step ${step})` : spec.label,
        fmt(
          rs.map((r) => r.logMse),
          2,
        ),
        spec.paper[0],
        fmt(
          rs.map((r) => r.logMseFine),
          2,
        ),
        fmt(
          rs.map((r) => r.paramErrPct),
          2,
        ),
        spec.paper[1],
        fmt(
          rs.map((r) => r.faNorm2),
          1,
        ),
        spec.paper[2],
        String(rs.length),
      ];
    });
    const params = MODELS.filter((s) => s.physics === 'w0' || s.physics === 'w0_alpha').map((spec) => {
      const rs = results.get(spec.id)!;
      return [
        spec.label,
        rs.map((r) => r.w0!.toFixed(4)).join(', '),
        spec.physics === 'w0_alpha' ? rs.map((r) => r.alpha!.toFixed(4)).join(', ') : '—',
        spec.aphynity ? rs.map((r) => (r.lambda ?? Number.NaN).toFixed(2)).join(', ') : '—',
      ];
    });
    const times = data.test[0].times;
    const thetaOf = (states: Float64Array) => Float64Array.from(times, (_, i) => states[2 * i]);
    const svg = plot(times, [
      { name: 'truth', theta: thetaOf(data.test[0].observations), color: '#000000' },
      { name: 'APHYNITY (ω0)', theta: thetaOf(results.get('aphynity_w0')![0].prediction!), color: '#d62728' },
      {
        name: 'Param ODE (ω0)',
        theta: thetaOf(results.get('param_ode_w0')![0].prediction!),
        color: '#1f77b4',
      },
      { name: 'Neural ODE', theta: thetaOf(results.get('neural_ode')![0].prediction!), color: '#2ca02c' },
    ]);
    const check = (ok: boolean) => (ok ? 'holds' : '**fails**');
    const s = settings;
    const page = [
      `# R1 — ${experiment.title}${options.quick ? ' (quick run)' : ''}`,
      '',
      `Command: \`${paperSize ? 'R1_SIZE=paper ' : ''}${options.command}\``,
      '',
      "Truth θ'' + ω0² sin θ + α θ' = 0 with T0 = 6 (ω0 = 2π/6) and α = 0.2, solved by vern7 at rtol 1e-10 " +
        `on t = 0, 0.5, …, 19.5 (40 points); initial states at radius U(1.3, 2.3) along a direction uniform in [−1, 1]². ` +
        `${s.nTrain} training, ${s.nVal} validation (generated separately; it picks the checkpoint) and ${s.nTest} test trajectories ` +
        `(data seed ${options.seed}). Both states are observed, noise-free.`,
      '',
      "Training follows the authors' code (github.com/yuan-yin/APHYNITY: train_aphynity.py, experiments.py, networks.py, " +
        `datasets/): RK4 with a fixed step of ${step}${settings.substeps === 1 ? ' (the data step)' : ` (${settings.substeps} steps per data interval)`}, discrete adjoint; closure MLP 2→${s.width}→${s.width}→2 ReLU, orthogonal ` +
        `init with gain 0.2, biases ${s.biasInit === 'zero' ? '0 (their init_weights)' : "U(±1/√fan_in) (PyTorch's Linear default)"}; ` +
        'physics init ω0² = 0.2, α = 0.1, estimated on a linear scale. Network models: Adam (lr ' +
        `${s.lr}), the full batch of ${s.nTrain} trajectories (their batch size 25), ${s.epochs} epochs × N_iter = ${N_ITER} steps. ` +
        'APHYNITY minimizes mean((‖F_a(X)‖/(‖X‖ + 1e-5))²) + λ·L_traj, L_traj = MSE of the predicted training states, ' +
        `with ‖F_a‖ evaluated ${
          s.normOn === 'data'
            ? 'on the observed training states as in their code (F_a applied to the data tensor, so this term reaches the closure only, not the solve)'
            : 'on the predicted training states (gradient through the solve)'
        }; λ0 = 1 and λ ← λ + τ2·L_traj (τ2 = 1) after each batch's N_iter steps ` +
        '(`closureNorm({ normalized: true })` applied to the data states + `adaptiveDataWeight`). The naive model and the neural ODE ' +
        'minimize L_traj alone with the same step budget. Param ODE rows: Adam (lr 1e-2, 300 steps, training horizon growing ' +
        'from 2 to 19.5 over 150 steps) then L-BFGS (200 iterations). ' +
        (seeds.length > 1
          ? `Network rows: seeds ${seeds.join(', ')} (network initialization), mean ± sd.`
          : `Network rows: one run, network seed ${seeds[0]}.`) +
        ' The Param ODE and true-ODE rows are one run each: they have no network, start from the fixed physics init and ' +
        'train on the full batch, so every seed gives the same bits.',
      '',
      "Deviations from the authors' recipe: float64 (theirs float32); classical RK4 (torchdiffeq's `rk4` is the 3/8-rule " +
        'variant)' +
        (settings.substeps === 1
          ? ''
          : `; RK4 with step ${step} (${settings.substeps} steps per data interval) instead of their 0.5, in training and ` +
            `in the test solve: at step 0.5 the true equations themselves miss the truth by log10 MSE ${trueAtHalf.toFixed(2)}, ` +
            `so the closure had to absorb RK4's error as well (trials T1–T9 below, none below −5.5); at step ${step} the true ` +
            `equations reach ${meanSd(results.get('true_ode')!.map((r) => r.logMse))}`) +
        '; the checkpoint is picked by the loss on a separate validation set after every epoch (theirs: test loss every ' +
        `100 batches); ${s.epochs} epochs instead of their 50000 (250000 Adam steps)` +
        (s.width === 200 ? '' : `; width ${s.width} instead of 200`) +
        (s.lr === 1e-3 ? '' : `; lr ${s.lr} instead of τ1 = 1e-3`) +
        (s.curriculum > 0
          ? `; a curriculum (the training horizon grows from 2 to 19.5 over the first ${s.curriculum} epochs)`
          : '') +
        (s.polish > 0
          ? `; after Adam, ${s.polish} L-BFGS iterations on the same objective at the final λ (‖F_a‖²/λ + L_traj for APHYNITY, L_traj for the others), kept only where it lowers the validation MSE`
          : '') +
        '. Their public dataset code sets ω0² = (2π/12)² by default; we use T0 = 6 as the paper states (our Param ODE (ω0) ' +
        "error, 13.6 %, matches the paper's 13.2 %).",
      '',
      ...(options.quick
        ? [
            `**Quick run** (width ${s.width}, lr ${s.lr}, ${s.epochs} epochs, step ${step}, ${s.seeds} seed): not the default result. ` +
              `The default run (\`npm run repro -- r1\`, docs/results/r1.md: width ${FULL.width}, lr ${FULL.lr}, ${FULL.epochs} ` +
              `epochs + ${FULL.polish} L-BFGS, step ${DT / FULL.substeps}, ${FULL.seeds} seeds) takes about an hour on one core.`,
            '',
          ]
        : []),
      ...(options.quick || paperSize ? [] : [SIZE_NOTE, '']),
      ...(paperSize
        ? [
            "**The authors' size** (`R1_SIZE=paper`): width 200, lr 1e-3, 50000 epochs × 5 Adam steps, RK4 step 0.5, " +
              '3 seeds, + 1000 L-BFGS.',
            '',
          ]
        : []),
      'Metrics on the test trajectories: log10 of the MSE over all test states; %Err = mean relative absolute error of ω0 ' +
        '(and α), with ω0 = √(ω0²); ‖F_a‖² = Σ over the test points of ‖F_a(X)‖² along the predicted trajectories (our reading of ' +
        "the paper's column).",
      '',
      markdownTable(
        [
          'model',
          'log10 MSE (ours)',
          '(paper)',
          'log10 MSE, test solve at step 0.05',
          '%Err (ours)',
          '(paper)',
          '‖F_a‖² (ours)',
          '(paper)',
          'runs',
        ],
        rows,
      ),
      '',
      `The discretization floor: the true equations under the training discretization (RK4, step ${step}) miss the ` +
        `rtol-1e-10 truth by log10 MSE ${meanSd(results.get('true_ode')!.map((r) => r.logMse))}` +
        (settings.substeps === 1
          ? ''
          : ` (at the authors' step 0.5: ${trueAtHalf.toFixed(2)}, above the paper's −8.58 for the true ODE, which therefore ` +
            'cannot come from RK4 at step 0.5 with T0 = 6)') +
        ", so a test log10 MSE below that needs fitted parameters or a closure that also absorb RK4's error. " +
        "The column 'test solve at step 0.05' solves each fitted model with 10× finer RK4 steps: its error without the " +
        'training discretization.',
      '',
      'Estimated parameters per run (truth ω0 = 1.0472, α = 0.2):',
      '',
      markdownTable(['model', 'ω0', 'α', 'final λ'], params),
      ...(s.polish > 0
        ? [
            '',
            'L-BFGS polish kept (it lowered the validation MSE) per run: ' +
              MODELS.filter((m) => m.closure)
                .map(
                  (m) =>
                    `${m.label} ${results
                      .get(m.id)!
                      .map((r) => (r.polishKept ? 'yes' : 'no'))
                      .join(', ')}`,
                )
                .join('; ') +
              '.',
          ]
        : []),
      '',
      'What must hold (issue #7):',
      '',
      `- APHYNITY (ω0) log10 MSE ≤ −6: ${check(checks.aphynity_w0_log10_mse_le_minus6)} (${aph.log10_mse.toFixed(2)})`,
      `- APHYNITY (ω0) ω0 error ≤ 5 %: ${check(checks.aphynity_w0_err_le_5pct)} (${aph.param_err_pct!.toFixed(2)} %)`,
      `- better than the neural ODE: ${check(checks.aphynity_w0_better_than_neural_ode)}`,
      `- better than Param ODE (ω0): ${check(checks.aphynity_w0_better_than_param_ode_w0)}`,
      `- naive (no norm penalty) ω0 error larger than APHYNITY's: ${check(checks.naive_w0_err_larger)} ` +
        `(mean ${summary('naive_w0').param_err_pct!.toFixed(2)} % vs ${aph.param_err_pct!.toFixed(2)} %; ` +
        `seed by seed the naive error is the larger in ${perSeed.filter((x) => x).length} of ${perSeed.length} seeds: ` +
        `naive ${results
          .get('naive_w0')!
          .map((r) => r.paramErrPct!.toFixed(2))
          .join(', ')} %, APHYNITY ${results
          .get('aphynity_w0')!
          .map((r) => r.paramErrPct!.toFixed(2))
          .join(', ')} %)`,
      '',
      ...(summary('naive_w0').log10_mse < aph.log10_mse
        ? [
            `In this run the naive model fits the test data better than APHYNITY (log10 MSE ${summary('naive_w0').log10_mse.toFixed(2)} vs ` +
              `${aph.log10_mse.toFixed(2)}): at the final λ above, APHYNITY's objective still trades trajectory error for a smaller closure.`,
            '',
          ]
        : []),
      ...truthAndIntegratorSection(settingRows),
      '',
      ...EXPLORATION,
      '',
      'θ of test trajectory 0 (first seed):',
      '',
      svg,
      '',
      'Published numbers: Yin et al. (2021), Table 2 (damped pendulum), as listed in REPRODUCTIONS.md R1. The authors ' +
        'picked checkpoints on test data; here a separate validation set does.',
    ].join('\n');
    return { metrics, page };
  },
};
