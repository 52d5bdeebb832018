/**
 * `w1_hybrid_fit_step`: one training iteration of a hybrid model — batched RK4 solve with a
 * neural closure, discrete-adjoint gradient through the network, L2 penalty, one Adam update.
 * Frictionless pendulum with learnable log ω0 plus an MLP closure 2 → 64 → 64 → 2 (tanh) on
 * the state; 25 trajectories from random initial states in [−1, 1]²; 40 outputs at dt = 0.05
 * from a damped pendulum (period 1.2, damping 0.2); RK4 with step 0.05; loss MSE +
 * 1e-3·Σ‖W‖² over the weight matrices; one step of `adam(1e-3)` from src/optim. The same algorithm as
 * `bench_w1` in bench/peers/torch_fit.py.
 */

import { Tensor } from '../../src/autodiff/tensor.js';
import { valueAndGrad } from '../../src/autodiff/transforms.js';
import { treeLeaves, treeUnflatten } from '../../src/autodiff/tree.js';
import { compileModel } from '../../src/expr/compile.js';
import { parseModel } from '../../src/expr/parse.js';
import { HybridModel, type HybridParams } from '../../src/hybrid/hybridModel.js';
import { l2Weights } from '../../src/hybrid/regularizers.js';
import type { Subject } from '../../src/hybrid/subject.js';
import { pendulumModel } from '../../src/models/index.js';
import { constantSteps } from '../../src/ode/controller.js';
import { rk4 } from '../../src/ode/methods/rk4.js';
import { modelField } from '../../src/ode/modelField.js';
import { saveAt, solve } from '../../src/ode/solve.js';
import { adam } from '../../src/optim/adam.js';
import { applyUpdates } from '../../src/optim/transform.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { rngKey, uniform } from '../../src/tensor/random.js';
import { record, timeCalls, type Workload } from '../harness.js';

const N = 25;
const T = 40;
const DT = 0.05;

const HYBRID = `
  param w0 = 4 in [0, inf] scale log
  state th = 0
  state om = 0
  net F(th, om) -> (a, b) : mlp(64, 64, tanh)
  d/dt th = om + F.a
  d/dt om = -w0^2 * sin(th) + F.b
  obs theta = th ~ normal(1)
  obs omega = om ~ normal(1)
`;

/** The damped-pendulum data of w1 (and w2): 25 subjects, 40 observations of (θ, ω) each. */
function pendulumData(): Subject[] {
  const field = modelField(compileModel(pendulumModel()), { n: N });
  const y0 = uniform(rngKey(7), [N * 2], -1, 1).data;
  const times = Float64Array.from({ length: T }, (_, i) => (i + 1) * DT);
  const params = new Float64Array(N * 2);
  for (let b = 0; b < N; b++) {
    params[2 * b] = (2 * Math.PI) / 1.2;
    params[2 * b + 1] = 0.2;
  }
  const sol = solve(field, y0, {
    method: rk4(),
    t1: T * DT,
    controller: constantSteps(DT),
    saveat: saveAt.times(times),
    params,
  });
  return sol.ys.map((ys, b) => ({
    id: `traj${b}`,
    times,
    y0: y0.slice(2 * b, 2 * b + 2),
    observations: ys,
  }));
}

export const w1HybridFitStep: Workload = {
  id: 'w1_hybrid_fit_step',
  description: 'hybrid pendulum fit step: RK4 with an MLP closure, discrete adjoint, L2, Adam',
  run() {
    const hm = new HybridModel(parseModel(HYBRID), { method: rk4(), controller: constantSteps(DT) });
    const subjects = pendulumData();
    let params: HybridParams = hm.init(rngKey(1));
    const reg = l2Weights(1e-3);
    const regGrad = valueAndGrad((p: HybridParams) => reg.penalty(p));
    const optimizer = adam(1e-3);
    let state = optimizer.init(params);
    const iterate = () => {
      const ev = hm.evaluate(params, subjects, { loss: 'mse' });
      if (ev.gradient === null || ev.failure !== null) throw new Error(`w1: ${ev.failure}`);
      const [, gReg] = regGrad(params);
      const grads = treeUnflatten(
        params,
        treeLeaves(ev.gradient).map((g, i) => {
          const sum = Float64Array.from(g.data);
          const r = treeLeaves(gReg)[i].data;
          for (let j = 0; j < sum.length; j++) sum[j] += r[j];
          return new Tensor(new NDArray(sum, g.shape));
        }),
      );
      const step = optimizer.update(grads, state, params);
      params = applyUpdates(params, step.updates);
      state = step.state;
    };
    const times = timeCalls(iterate, { warmupMs: 1000, samples: 30 });
    return [
      record('w1_hybrid_fit_step', 'ms_per_iter', times, (ms) => ms, {
        trajectories: N,
        outputs: T,
        dt: DT,
        method: 'rk4',
        hidden: [64, 64],
        gradient: 'discrete adjoint',
      }),
    ];
  },
};
