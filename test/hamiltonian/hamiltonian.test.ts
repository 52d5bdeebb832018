/**
 * Hamiltonian neural networks: the symplectic gradient of known Hamiltonians is their exact
 * field; the training gradient (a gradient of an input gradient) and the field's own
 * derivatives agree with Richardson-extrapolated central differences; every HNN field
 * conserves its energy (pointwise dH/dt = 0, and along adaptive rollouts to the tolerance).
 */
import { describe, expect, it } from 'vitest';
import { add, mul, sub } from '../../src/autodiff/ops/binary.js';
import { matmul } from '../../src/autodiff/ops/linalg.js';
import { sum } from '../../src/autodiff/ops/reduce.js';
import { cos, square } from '../../src/autodiff/ops/unary.js';
import { Tensor, tensor } from '../../src/autodiff/tensor.js';
import { grad } from '../../src/autodiff/transforms.js';
import { treeLeaves, treeUnflatten } from '../../src/autodiff/tree.js';
import {
  baselineNetwork,
  derivativeLoss,
  energyGradient,
  fitDerivatives,
  hamiltonianNetwork,
  type LearnedDynamics,
  learnedVectorField,
  symplecticGradient,
  symplecticMatrix,
} from '../../src/index.js';
import { normalInit } from '../../src/nn/init.js';
import type { MlpParams } from '../../src/nn/mlp.js';
import { pid } from '../../src/ode/controller.js';
import { dopri5 } from '../../src/ode/methods/dopri5.js';
import { saveAt, solve } from '../../src/ode/solve.js';
import { adam } from '../../src/optim/adam.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { rngKey } from '../../src/tensor/random.js';
import { axpy, dot, randomTensor, relErr, richardson, richardsonVec, testRng } from '../support/fd.js';

const springH = (x: Tensor): Tensor => sum(square(x), -1); // H = q² + p²

function maxAbs(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('symplectic gradient of known Hamiltonians', () => {
  it('S maps (∂H/∂q, ∂H/∂p) to (∂H/∂p, −∂H/∂q)', () => {
    expect(symplecticMatrix(1).toArray()).toEqual([
      [0, -1],
      [1, 0],
    ]);
    const s = symplecticMatrix(3);
    const g = tensor([[1, 2, 3, 4, 5, 6]]);
    expect(matmul(g, s).toArray()).toEqual([[4, 5, 6, -1, -2, -3]]);
    expect(() => symplecticMatrix(0)).toThrow(/dof .* integer ≥ 1/);
  });

  it('H = q² + p² gives exactly (2p, −2q)', () => {
    const x = randomTensor(testRng(1), [7, 2]);
    const f = symplecticGradient(springH, x).data;
    for (let b = 0; b < 7; b++) {
      expect(f[2 * b]).toBe(2 * x.data[2 * b + 1]);
      expect(f[2 * b + 1]).toBe(-2 * x.data[2 * b]);
    }
  });

  it('the pendulum H = 3(1 − cos q) + p² gives (2p, −3 sin q)', () => {
    const h = (x: Tensor): Tensor => {
      const q = matmul(x, tensor([[1], [0]]));
      const p = matmul(x, tensor([[0], [1]]));
      return sum(add(mul(3, sub(1, cos(q))), square(p)), -1);
    };
    const x = randomTensor(testRng(2), [5, 2], -3, 3);
    const f = symplecticGradient(h, x).data;
    for (let b = 0; b < 5; b++) {
      expect(f[2 * b]).toBeCloseTo(2 * x.data[2 * b + 1], 14);
      expect(f[2 * b + 1]).toBeCloseTo(-3 * Math.sin(x.data[2 * b]), 14);
    }
  });

  it('two coupled oscillators H = ½|p|² + ½ qᵀKq give (p, −Kq)', () => {
    const K = [
      [2, -1],
      [-1, 2],
    ];
    // x·M with M = blockdiag(K/√2·…) is awkward; write ½ qᵀKq = ½ Σᵢⱼ Kᵢⱼ qᵢ qⱼ with a matmul
    const h = (x: Tensor): Tensor => {
      const q = matmul(
        x,
        tensor([
          [1, 0],
          [0, 1],
          [0, 0],
          [0, 0],
        ]),
      );
      const p = matmul(
        x,
        tensor([
          [0, 0],
          [0, 0],
          [1, 0],
          [0, 1],
        ]),
      );
      const kq = matmul(q, tensor(K));
      return add(mul(0.5, sum(square(p), -1)), mul(0.5, sum(mul(q, kq), -1)));
    };
    const x = randomTensor(testRng(3), [6, 4]);
    const f = symplecticGradient(h, x).data;
    for (let b = 0; b < 6; b++) {
      const [q1, q2, p1, p2] = x.data.subarray(4 * b, 4 * b + 4);
      const want = [p1, p2, -(K[0][0] * q1 + K[0][1] * q2), -(K[1][0] * q1 + K[1][1] * q2)];
      for (let k = 0; k < 4; k++) expect(Math.abs(f[4 * b + k] - want[k])).toBeLessThan(1e-14);
    }
  });

  it('rejects states that are not [batch, 2n] and energies that are not one per row', () => {
    expect(() => symplecticGradient(springH, tensor([[1, 2, 3]]))).toThrow(/\[batch, 2n\]/);
    expect(() => symplecticGradient((x) => sum(square(x)), tensor([[1, 2]]))).toThrow(/one value per row/);
    const hnn = hamiltonianNetwork({ dof: 2, hidden: [4] });
    expect(() => hnn.field(hnn.init(rngKey(0)), tensor([[1, 2]]))).toThrow(/\[batch, 4\]/);
    expect(() => hamiltonianNetwork({ dof: 1, hiden: [4] } as never)).toThrow(/hiden/);
  });
});

describe('derivatives against finite differences', () => {
  const cases = [
    { name: 'HNN, n = 1, tanh', model: hamiltonianNetwork({ dof: 1, hidden: [6, 5] }) },
    { name: 'HNN, n = 2, tanh', model: hamiltonianNetwork({ dof: 2, hidden: [5, 4] }) },
    {
      name: 'HNN, n = 1, softplus',
      model: hamiltonianNetwork({ dof: 1, hidden: [5, 5], activation: 'softplus' }),
    },
    { name: 'baseline, n = 2', model: baselineNetwork({ dof: 2, hidden: [5, 4] }) },
  ];

  for (const { name, model } of cases) {
    it(`${name}: ∂L/∂θ of the derivative-matching loss`, () => {
      const rng = testRng(11);
      const params = model.init(rngKey(4));
      const x = randomTensor(rng, [9, 2 * model.dof], -1.5, 1.5);
      const dxdt = randomTensor(rng, [9, 2 * model.dof]);
      const loss = (p: MlpParams) => derivativeLoss(model, p, x, dxdt);
      const g = treeLeaves(grad(loss)(params));
      const leaves = treeLeaves(params);
      // each leaf alone, then all together
      const dirs = leaves.map((l) => randomTensor(rng, l.shape, -1, 1));
      const probes = [...leaves.map((_, i) => i), -1];
      for (const which of probes) {
        const use = leaves.map((_, i) => which === -1 || which === i);
        const phi = (s: number): number =>
          loss(
            treeUnflatten(
              params,
              leaves.map((l, i) => (use[i] ? axpy(l, s, dirs[i]) : l)),
            ),
          ).item();
        const fd = richardson(phi, 1e-3);
        let ad = 0;
        leaves.forEach((_, i) => {
          if (use[i]) ad += dot(g[i].data, dirs[i].data);
        });
        expect(relErr(ad, fd)).toBeLessThan(1e-7);
      }
    });
  }

  it('the HNN field is the symplectic gradient of its energy (FD of H_θ)', () => {
    const hnn = hamiltonianNetwork({ dof: 2, hidden: [7, 6] });
    const params = hnn.init(rngKey(5));
    const x = randomTensor(testRng(6), [3, 4]);
    const f = hnn.field(params, x).data;
    for (let b = 0; b < 3; b++) {
      for (let k = 0; k < 4; k++) {
        const e = (s: number) => {
          const xs = new Float64Array(x.data);
          xs[4 * b + k] += s;
          return hnn.energy(params, new Tensor(new NDArray(xs, [3, 4]))).data[b];
        };
        const dH = richardson(e, 1e-3);
        // q̇ₖ = ∂H/∂pₖ, ṗₖ = −∂H/∂qₖ
        const got = k < 2 ? -f[4 * b + 2 + k] : f[4 * b + k - 2];
        expect(relErr(got, dH)).toBeLessThan(1e-8);
      }
    }
  });
});

describe('energy conservation', () => {
  it('∇H_θ · f_θ = 0 pointwise for an untrained net (dH/dt vanishes identically)', () => {
    const hnn = hamiltonianNetwork({ dof: 3, hidden: [12, 12] });
    const params = hnn.init(rngKey(7));
    const x = randomTensor(testRng(8), [20, 6]);
    const { gradient } = energyGradient((z) => hnn.energy(params, z), x);
    const f = hnn.field(params, x);
    const dHdt = sum(mul(gradient, f), -1).data;
    const scale = Math.max(...gradient.data.map(Math.abs)) ** 2;
    for (const v of dHdt) expect(Math.abs(v)).toBeLessThan(1e-15 * scale * 6);
  });

  it('an adaptive rollout of a random HNN conserves H_θ to the tolerance', () => {
    // N(0, 1) weights: a field of order 1 with strongly curved orbits (the default orthogonal
    // init gives a nearly constant, slow field that any solver follows exactly)
    const hnn = hamiltonianNetwork({ dof: 1, hidden: [16, 16], weightInit: normalInit(0, 1) });
    const params = hnn.init(rngKey(9));
    const y0 = new Float64Array([0.8, 0.1, -0.3, 0.5, 0.2, -0.9]);
    const times = Float64Array.from({ length: 20 }, (_, i) => 0.5 * (i + 1));
    const energyOf = (y: ArrayLike<number>): number =>
      hnn.energy(params, new Tensor(new NDArray(Float64Array.from(y), [1, 2]))).item();
    const drift = (rtol: number): number => {
      const sol = solve(learnedVectorField(hnn, params), y0, {
        method: dopri5(),
        t1: 10,
        controller: pid({ rtol, atol: rtol * 1e-2 }),
        saveat: saveAt.times(times),
      });
      let worst = 0;
      for (let b = 0; b < 3; b++) {
        const h0 = energyOf(y0.subarray(2 * b, 2 * b + 2));
        const ys = sol.ys[b];
        for (let i = 0; i < ys.length / 2; i++)
          worst = Math.max(worst, Math.abs(energyOf(ys.subarray(2 * i, 2 * i + 2)) - h0));
      }
      return worst;
    };
    const loose = drift(1e-6);
    const tight = drift(1e-11);
    expect(tight).toBeLessThan(1e-9);
    expect(tight).toBeLessThan(loose / 1000); // the drift is the solver's, and shrinks with it
  });
});

describe('learnedVectorField', () => {
  const hnn = hamiltonianNetwork({ dof: 2, hidden: [8, 8] });
  const params = hnn.init(rngKey(12));
  const field = learnedVectorField(hnn, params);
  const rng = testRng(13);
  const N = 3;
  const y = randomTensor(rng, [N, 4]).data;
  const t = new Float64Array(N);
  const none = new Float64Array(0);

  it('evaluates the listed rows only', () => {
    const out = new Float64Array(N * 4).fill(Number.NaN);
    field.f(t, y, none, out, 2, Int32Array.from([2, 0]));
    const ref = hnn.field(params, new Tensor(new NDArray(y, [N, 4]))).data;
    for (const b of [0, 2])
      for (let k = 0; k < 4; k++) expect(out[4 * b + k]).toBeCloseTo(ref[4 * b + k], 14);
    for (let k = 0; k < 4; k++) expect(out[4 + k]).toBeNaN();
  });

  it('vjp and jac agree with finite differences of f', () => {
    const fOf = (yy: Float64Array): Float64Array => {
      const out = new Float64Array(N * 4);
      field.f(t, yy, none, out, N, null);
      return out;
    };
    const J = new Float64Array(N * 16);
    field.jac?.(t, y, none, J, N, null);
    for (let k = 0; k < 4; k++) {
      // column k of every trajectory's Jacobian
      const col = richardsonVec((s) => {
        const yy = new Float64Array(y);
        for (let b = 0; b < N; b++) yy[4 * b + k] += s;
        return fOf(yy);
      });
      for (let b = 0; b < N; b++)
        for (let i = 0; i < 4; i++)
          expect(relErr(J[16 * b + 4 * i + k], col[4 * b + i], 1e-6)).toBeLessThan(1e-7);
    }
    const outBar = randomTensor(rng, [N, 4]).data;
    const yBar = new Float64Array(N * 4);
    field.vjp(t, y, none, outBar, yBar, none, N, null);
    for (let b = 0; b < N; b++)
      for (let k = 0; k < 4; k++) {
        let want = 0;
        for (let i = 0; i < 4; i++) want += J[16 * b + 4 * i + k] * outBar[4 * b + i];
        expect(yBar[4 * b + k]).toBeCloseTo(want, 12);
      }
  });

  it('rolls out a known Hamiltonian exactly: H = q² + p² is a rotation at angular speed 2', () => {
    const spring: LearnedDynamics<null> = { dof: 1, field: (_p, x) => symplecticGradient(springH, x) };
    const sol = solve(learnedVectorField(spring, null), new Float64Array([1, 0]), {
      method: dopri5(),
      t1: 3,
      controller: pid({ rtol: 1e-12, atol: 1e-14 }),
    });
    // q = cos 2t, p = −sin 2t
    expect(maxAbs(sol.yFinal, new Float64Array([Math.cos(6), -Math.sin(6)]))).toBeLessThan(1e-10);
  });
});

describe('fitDerivatives', () => {
  it('learns the mass–spring field from derivatives; the HNN conserves the true energy better than the baseline', () => {
    // 8 trajectories of H = q² + p², 10 points each, derivatives from the true field
    const rng = testRng(21);
    const rows: number[] = [];
    const targets: number[] = [];
    for (let j = 0; j < 8; j++) {
      const r = 0.3 + 0.7 * rng();
      const a = 2 * Math.PI * rng();
      for (let i = 0; i < 10; i++) {
        const q = r * Math.cos(a + 0.3 * i);
        const p = -r * Math.sin(a + 0.3 * i);
        rows.push(q, p);
        targets.push(2 * p, -2 * q);
      }
    }
    const x = new Tensor(new NDArray(Float64Array.from(rows), [80, 2]));
    const dxdt = new Tensor(new NDArray(Float64Array.from(targets), [80, 2]));
    const trueEnergyDrift = (model: LearnedDynamics<MlpParams>, p: MlpParams): number => {
      const sol = solve(learnedVectorField(model, p), new Float64Array([0.7, 0]), {
        method: dopri5(),
        t1: 10,
        controller: pid({ rtol: 1e-9, atol: 1e-11 }),
      });
      const [q, pp] = sol.yFinal;
      return Math.abs(q * q + pp * pp - 0.49);
    };
    const results = [
      hamiltonianNetwork({ dof: 1, hidden: [24, 24] }),
      baselineNetwork({ dof: 1, hidden: [24, 24] }),
    ].map((model) => {
      const fit = fitDerivatives(model, model.init(rngKey(3)), x, dxdt, {
        optimizer: adam(1e-2),
        steps: 300,
      });
      return { losses: fit.losses, drift: trueEnergyDrift(model, fit.params) };
    });
    for (const r of results) expect(r.losses[300]).toBeLessThan(r.losses[0] / 100);
    expect(results[0].drift).toBeLessThan(results[1].drift);
  });

  it('names the step where the loss turns non-finite', () => {
    const hnn = hamiltonianNetwork({ dof: 1, hidden: [4] });
    const x = tensor([[Number.NaN, 0]]);
    expect(() =>
      fitDerivatives(hnn, hnn.init(rngKey(0)), x, tensor([[0, 0]]), { optimizer: adam(1e-3), steps: 3 }),
    ).toThrow(/NaN at step 0/);
    expect(() => derivativeLoss(hnn, hnn.init(rngKey(0)), tensor([[0, 0]]), tensor([[0, 0, 0]]))).toThrow(
      /must have the shape/,
    );
  });
});
