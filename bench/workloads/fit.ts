/**
 * `w2_mech_fit_step`: one fitting iteration of a mechanistic model — solve, discrete-adjoint
 * gradient, one Adam update. Damped pendulum θ'' = −ω0² sin θ − αθ' with unknown log ω0 and
 * log α; 25 trajectories from random initial states in [−1, 1]²; 40 outputs at dt = 0.05;
 * RK4 with step 0.05; mean-squared error. The same algorithm as bench/peers/torch_fit.py.
 */
import { compileModel } from '../../src/expr/compile.js';
import { pendulumModel } from '../../src/models/index.js';
import { discreteAdjoint } from '../../src/ode/adjoint.js';
import { constantSteps } from '../../src/ode/controller.js';
import { rk4 } from '../../src/ode/methods/rk4.js';
import { modelField } from '../../src/ode/modelField.js';
import { saveAt, solve } from '../../src/ode/solve.js';
import { rngKey, uniform } from '../../src/tensor/random.js';
import { record, timeCalls, type Workload } from '../harness.js';

const N = 25;
const T = 40;
const DT = 0.05;

export const w2MechFitStep: Workload = {
  id: 'w2_mech_fit_step',
  description: 'damped pendulum fit step: RK4 solve of 25 trajectories, discrete adjoint, Adam',
  run() {
    const compiled = compileModel(pendulumModel());
    const field = modelField(compiled, { n: N });
    const method = rk4();
    const y0 = uniform(rngKey(7), [N * 2], -1, 1).data;
    const times = Float64Array.from({ length: T }, (_, i) => (i + 1) * DT);
    const opts = { method, t1: T * DT, controller: constantSteps(DT), saveat: saveAt.times(times) };
    const paramsFor = (logW0: number, logAlpha: number) => {
      const p = new Float64Array(N * 2);
      for (let b = 0; b < N; b++) {
        p[2 * b] = Math.exp(logW0);
        p[2 * b + 1] = Math.exp(logAlpha);
      }
      return p;
    };
    const data = solve(field, y0, {
      ...opts,
      params: paramsFor(Math.log((2 * Math.PI) / 1.2), Math.log(0.2)),
    }).ys;
    // Adam state for θ = (log ω0, log α).
    const theta = [Math.log(4), Math.log(0.5)];
    const m = [0, 0];
    const v = [0, 0];
    let step = 0;
    const lr = 1e-2;
    // The loss's cotangent buffers and the parameters, reused across iterations.
    const bar = data.map((d) => new Float64Array(d.length));
    const params = new Float64Array(N * 2);
    const count = N * T * 2;
    const iterate = () => {
      const w0 = Math.exp(theta[0]);
      const alpha = Math.exp(theta[1]);
      for (let b = 0; b < N; b++) {
        params[2 * b] = w0;
        params[2 * b + 1] = alpha;
      }
      const sol = solve(field, y0, { ...opts, params, recordForAdjoint: true });
      // ∂/∂ys of the mean squared error.
      for (let b = 0; b < N; b++) {
        const ys = sol.ys[b];
        const d = data[b];
        const g = bar[b];
        for (let j = 0; j < ys.length; j++) g[j] = (2 * (ys[j] - d[j])) / count;
      }
      const g = discreteAdjoint(field, sol, method, params, bar);
      // Chain rule to log parameters, summed over trajectories.
      const grad = [0, 0];
      for (let b = 0; b < N; b++) {
        grad[0] += g.params[2 * b] * params[2 * b];
        grad[1] += g.params[2 * b + 1] * params[2 * b + 1];
      }
      step++;
      for (let i = 0; i < 2; i++) {
        m[i] = 0.9 * m[i] + 0.1 * grad[i];
        v[i] = 0.999 * v[i] + 0.001 * grad[i] * grad[i];
        const mHat = m[i] / (1 - 0.9 ** step);
        const vHat = v[i] / (1 - 0.999 ** step);
        theta[i] -= (lr * mHat) / (Math.sqrt(vHat) + 1e-8);
      }
    };
    const times_ = timeCalls(iterate, { warmupMs: 1000, samples: 30 });
    return [
      record('w2_mech_fit_step', 'ms_per_iter', times_, (ms) => ms, {
        trajectories: N,
        outputs: T,
        dt: DT,
        method: 'rk4',
        gradient: 'discrete adjoint',
      }),
    ];
  },
};
