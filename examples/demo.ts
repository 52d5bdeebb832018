/**
 * `npm run demo`: the placeholder main job until the CLI lands (`greybox demo`).
 *
 * Recovers the two physical parameters of a damped pendulum, θ'' = −ω0² sin θ − α θ', from
 * 25 simulated trajectories by differentiating the mean-squared error through 40 unrolled
 * RK4 steps (reverse-mode autodiff over batched float64 tensors), checks that gradient
 * against central finite differences, and fits by Levenberg–Marquardt with residual Jacobians from forward-mode `jvp`.
 *
 * The last line on stdout is one JSON object with the results.
 */
import {
  add,
  concat,
  exp,
  jvp,
  mean,
  mul,
  neg,
  rngKey,
  sin,
  slice,
  square,
  stack,
  sub,
  type Tensor,
  tensor,
  uniform,
  valueAndGrad,
} from '../src/index.js';

type Params = { logW0: Tensor; logAlpha: Tensor };

/** Vector field of the damped pendulum for a batch of states y = [θ, ω] of shape [B, 2]. */
function field(p: Params, y: Tensor): Tensor {
  const theta = slice(y, [{}, { start: 0, stop: 1 }]);
  const omega = slice(y, [{}, { start: 1, stop: 2 }]);
  const w0sq = exp(mul(p.logW0, 2));
  const alpha = exp(p.logAlpha);
  const dOmega = sub(neg(mul(w0sq, sin(theta))), mul(alpha, omega));
  return concat([omega, dOmega], 1);
}

/** Classical RK4, `steps` steps of size h; returns the states after each step, [steps, B, 2]. */
function rk4(p: Params, y0: Tensor, h: number, steps: number, substeps = 1): Tensor {
  const out: Tensor[] = [];
  let y = y0;
  const dt = h / substeps;
  for (let n = 0; n < steps; n++) {
    for (let s = 0; s < substeps; s++) {
      const k1 = field(p, y);
      const k2 = field(p, add(y, mul(k1, dt / 2)));
      const k3 = field(p, add(y, mul(k2, dt / 2)));
      const k4 = field(p, add(y, mul(k3, dt)));
      y = add(y, mul(add(add(k1, mul(add(k2, k3), 2)), k4), dt / 6));
    }
    out.push(y);
  }
  return stack(out, 0);
}

const truth: Params = { logW0: tensor([Math.log((2 * Math.PI) / 1.2)]), logAlpha: tensor([Math.log(0.2)]) };
const y0 = tensor(uniform(rngKey(2026), [25, 2], -1, 1));
const h = 0.05;
const steps = 40;
const data = rk4(truth, y0, h, steps, 20); // reference: 20 substeps per output
const loss = (p: Params): Tensor => mean(square(sub(rk4(p, y0, h, steps), data)));
const lossAndGrad = valueAndGrad(loss);

let p: Params = { logW0: tensor([Math.log(4.5)]), logAlpha: tensor([Math.log(0.5)]) };

// The gradient through the unrolled solver against central finite differences.
const [, g0] = lossAndGrad(p);
const eps = 1e-6;
const fd = (Object.keys(p) as (keyof Params)[]).map((k) => {
  const shifted = (s: number): number => loss({ ...p, [k]: tensor([p[k].item() + s]) }).item();
  return (shifted(eps) - shifted(-eps)) / (2 * eps);
});
const gradRelErr = Math.max(
  Math.abs(g0.logW0.item() - fd[0]) / Math.abs(fd[0]),
  Math.abs(g0.logAlpha.item() - fd[1]) / Math.abs(fd[1]),
);
console.log(`gradient vs central differences: max relative error ${gradRelErr.toExponential(2)}`);

// Levenberg–Marquardt on (log ω0, log α): residual Jacobian columns by forward mode (jvp).
const residual = (q: Params): Tensor => sub(rk4(q, y0, h, steps), data);
const dot = (a: Float64Array, b: Float64Array): number => a.reduce((acc, v, i) => acc + v * b[i], 0);
const start = performance.now();
let lambda = 1e-3;
let iterations = 0;
let converged = false;
let r = residual(p).data;
let lastLoss = dot(r, r) / r.length;
for (; iterations < 50 && lastLoss > 1e-24; iterations++) {
  console.log(
    `iter ${String(iterations).padStart(2)}  loss ${lastLoss.toExponential(3)}  ω0 ${Math.exp(p.logW0.item()).toFixed(8)}  α ${Math.exp(p.logAlpha.item()).toFixed(8)}`,
  );
  const zero = tensor([0]);
  const one = tensor([1]);
  const j1 = jvp(residual, p, { logW0: one, logAlpha: zero })[1].data;
  const j2 = jvp(residual, p, { logW0: zero, logAlpha: one })[1].data;
  const a11 = dot(j1, j1);
  const a12 = dot(j1, j2);
  const a22 = dot(j2, j2);
  const b1 = -dot(j1, r);
  const b2 = -dot(j2, r);
  for (;;) {
    const m11 = a11 * (1 + lambda);
    const m22 = a22 * (1 + lambda);
    const det = m11 * m22 - a12 * a12;
    const d1 = (b1 * m22 - a12 * b2) / det;
    const d2 = (m11 * b2 - a12 * b1) / det;
    const trial: Params = {
      logW0: tensor([p.logW0.item() + d1]),
      logAlpha: tensor([p.logAlpha.item() + d2]),
    };
    const rt = residual(trial).data;
    const trialLoss = dot(rt, rt) / rt.length;
    if (trialLoss < lastLoss) {
      converged = lastLoss - trialLoss < 1e-8 * lastLoss;
      p = trial;
      r = rt;
      lastLoss = trialLoss;
      lambda = Math.max(lambda / 3, 1e-12);
      break;
    }
    lambda *= 4;
    if (lambda > 1e12) break;
  }
  if (lambda > 1e12 || converged) break;
}
const ms = performance.now() - start;
const w0 = Math.exp(p.logW0.item());
const alpha = Math.exp(p.logAlpha.item());
const result = {
  demo: 'pendulum_parameter_fit',
  iterations,
  ms_per_iteration: ms / Math.max(iterations, 1),
  final_loss: lastLoss,
  omega0: {
    fitted: w0,
    true: Math.exp(truth.logW0.item()),
    rel_err: Math.abs(w0 / Math.exp(truth.logW0.item()) - 1),
  },
  alpha: { fitted: alpha, true: 0.2, rel_err: Math.abs(alpha / 0.2 - 1) },
  gradient_fd_rel_err: gradRelErr,
};
console.log(JSON.stringify(result));
