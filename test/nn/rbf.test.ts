import { describe, expect, it } from 'vitest';
import { sum } from '../../src/autodiff/ops/reduce.js';
import { Tensor } from '../../src/autodiff/tensor.js';
import { grad } from '../../src/autodiff/transforms.js';
import { parseModel } from '../../src/expr/parse.js';
import { TensorNetRuntime } from '../../src/hybrid/netRuntime.js';
import { activate } from '../../src/nn/activation.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { rngKey } from '../../src/tensor/random.js';
import { relErr } from '../support/fd.js';

const xs = [-3, -1.5, -0.7, -1e-3, -0, 0, 2e-8, 0.4, 1, 2.2, 5, 30];

describe("the Gaussian RBF activation 'rbf'", () => {
  it('is exp(−x²): even, 1 at 0, 0 in the tails, NaN propagates', () => {
    const y = activate(
      'rbf',
      new Tensor(new NDArray(Float64Array.from([...xs, Number.NaN]), [xs.length + 1])),
    ).data;
    xs.forEach((x, i) => {
      expect(y[i]).toBe(Math.exp(-x * x));
    });
    expect(y[xs.indexOf(0)]).toBe(1);
    expect(y[xs.indexOf(30)]).toBe(0);
    expect(Number.isNaN(y[xs.length])).toBe(true);
  });

  it('has the derivative −2x·e^{−x²} (closed form and central differences)', () => {
    const g = grad((t: Tensor) => sum(activate('rbf', t)))(
      new Tensor(new NDArray(Float64Array.from(xs), [xs.length])),
    ).data;
    xs.forEach((x, i) => {
      const exact = -2 * x * Math.exp(-x * x);
      expect(relErr(g[i], exact, 1e-300)).toBeLessThanOrEqual(4e-16);
      const h = 1e-5;
      const fd = (Math.exp(-(x + h) * (x + h)) - Math.exp(-(x - h) * (x - h))) / (2 * h);
      expect(Math.abs(g[i] - fd)).toBeLessThan(1e-9);
    });
  });

  it('is an activation of the model language, run by the direct kernel with the autodiff values', () => {
    const model = parseModel(
      'state x = 1\nstate y = 2\nnet U(x, y) -> (a, b) : mlp(5, 5, 5, rbf)\nd/dt x = U.a\nd/dt y = U.b\nobs o = x ~ normal(1)',
    );
    expect(model.nets[0].architecture.activation).toBe('rbf');
    const rt = new TensorNetRuntime(model, TensorNetRuntime.init(model, rngKey(3)));
    const x = Float64Array.from([0.3, -1.2, 2, 0.5]);
    const out = new Float64Array(4);
    rt.forward(0, x, 2, out);
    const jac = new Float64Array(8); // autodiff path: the Jacobian by VJP of the tensor MLP
    rt.jacobian(0, x, 2, jac);
    const h = 1e-6;
    for (let b = 0; b < 2; b++)
      for (let i = 0; i < 2; i++) {
        const xp = x.slice();
        const xm = x.slice();
        xp[b * 2 + i] += h;
        xm[b * 2 + i] -= h;
        const op = new Float64Array(4);
        const om = new Float64Array(4);
        rt.forward(0, xp, 2, op);
        rt.forward(0, xm, 2, om);
        for (let o = 0; o < 2; o++) {
          const fd = (op[b * 2 + o] - om[b * 2 + o]) / (2 * h);
          expect(Math.abs(jac[(b * 2 + o) * 2 + i] - fd)).toBeLessThan(1e-8);
        }
      }
  });
});
