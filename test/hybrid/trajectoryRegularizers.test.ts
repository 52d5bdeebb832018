import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/autodiff/tensor.js';
import { parseModel } from '../../src/expr/parse.js';
import { HybridModel, type HybridParams } from '../../src/hybrid/hybridModel.js';
import { nullNetsModel } from '../../src/hybrid/nullNets.js';
import { l2Weights } from '../../src/hybrid/regularizers.js';
import type { Subject } from '../../src/hybrid/subject.js';
import { train } from '../../src/hybrid/trainer.js';
import type { TrajectoryRegularizer } from '../../src/hybrid/trajectoryBatch.js';
import {
  closureNorm,
  closureRatio,
  independence,
  physicsFit,
  reducedDiscrepancy,
  vectorFieldParts,
} from '../../src/hybrid/trajectoryRegularizers.js';
import { constantSteps } from '../../src/ode/controller.js';
import { rk4 } from '../../src/ode/methods/rk4.js';
import { adam } from '../../src/optim/adam.js';
import { sgd } from '../../src/optim/sgd.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { rngKey } from '../../src/tensor/random.js';
import { expectDirectionalFd } from './treeFd.js';

/** A damped pendulum with a closure on both derivatives and an output correction R. */
const source = `
model pend
param w0sq = 0.8 in [0, inf] scale log
param alpha = 0.1
state x = 1
state v = 0
net F(x, v) -> (a, b) : mlp(6, tanh)
net R(x) -> (o) : mlp(3, tanh)
d/dt x = v + F.a
d/dt v = -w0sq*sin(x) - alpha*v + F.b
obs px = x + R.o ~ normal(0.1)
obs pv = v ~ normal(0.1)
`;

/** Fixed-step RK4: the discrete adjoint is the exact derivative of the computed solution. */
const hm = new HybridModel(parseModel(source), { method: rk4(), controller: constantSteps(0.25) });

function subjects(): Subject[] {
  const times = Float64Array.from({ length: 8 }, (_, i) => 0.5 * (i + 1));
  return [0, 1, 2].map((k) => ({
    id: `s${k}`,
    times,
    observations: Float64Array.from({ length: 16 }, (_, i) => Math.cos(0.3 * i + k) * (1 - 0.02 * i)),
    y0: Float64Array.of(0.5 + 0.4 * k, 0.3 - 0.2 * k),
  }));
}

/** Parameters with larger-than-default weights so that the closure matters. */
function params(): HybridParams {
  const p = hm.init(rngKey(3));
  const nets = Object.fromEntries(
    Object.entries(p.nets).map(([name, layers]) => [
      name,
      layers.map((l, i) => ({
        w: new Tensor(
          new NDArray(
            l.w.data.map((v) => 1.5 * v),
            l.w.shape,
          ),
        ),
        b: new Tensor(
          new NDArray(
            l.b.data.map((_, j) => 0.1 * (j + 1) * (i + 1)),
            l.b.shape,
          ),
        ),
      })),
    ]),
  );
  return { ...p, nets };
}

function checkRegularizer(reg: TrajectoryRegularizer, tol = 1e-6): void {
  const s = subjects();
  const x = params();
  const ev = hm.evaluate(x, s, { penalties: [reg] });
  expect(ev.failure).toBeNull();
  expect(ev.penalties?.[reg.name]).toBeGreaterThan(0);
  // The penalty alone: value with the data weight 0, against finite differences.
  const only = hm.evaluate(x, s, { penalties: [reg], dataWeight: 0 });
  expect(only.value).toBeCloseTo(ev.penalties![reg.name], 12);
  expectDirectionalFd(
    (p: HybridParams) => hm.evaluate(p, s, { penalties: [reg], dataWeight: 0, gradient: false }).value,
    only.gradient!,
    x,
    [1, 2, 3],
    tol,
  );
  // And added to the data fit.
  expectDirectionalFd(
    (p: HybridParams) => hm.evaluate(p, s, { penalties: [reg], gradient: false }).value,
    ev.gradient!,
    x,
    [4],
    tol,
  );
}

describe('trajectory regularizers: gradients through the solve match finite differences', () => {
  it('closureNorm, plain', () => checkRegularizer(closureNorm({ weight: 0.7 })));
  it('closureNorm, normalized (APHYNITY)', () => checkRegularizer(closureNorm({ normalized: true })));
  it('closureNorm on one network', () => checkRegularizer(closureNorm({ nets: ['F'] })));
  it('independence: |<f, g>|', () => checkRegularizer(independence({ measure: 'dot', weight: 2 })));
  it('independence: correlation', () => checkRegularizer(independence({ measure: 'correlation' })));
  it('independence: HSIC', () => checkRegularizer(independence({ measure: 'hsic', bandwidth: 0.7 })));
  it('closureRatio', () => checkRegularizer(closureRatio({ weight: 0.5 })));
  it('physicsFit', () => checkRegularizer(physicsFit({ weight: 0.3 })));
  it('reducedDiscrepancy (all nets)', () => checkRegularizer(reducedDiscrepancy({ weight: 3 })));
  it('reducedDiscrepancy (output net only)', () => checkRegularizer(reducedDiscrepancy({ nets: ['R'] })));
  it('several at once, with a curriculum horizon', () => {
    const regs = [closureNorm({ normalized: true }), physicsFit(), reducedDiscrepancy()];
    const s = subjects();
    const x = params();
    const ev = hm.evaluate(x, s, { penalties: regs, horizon: 2.2 });
    expectDirectionalFd(
      (p: HybridParams) => hm.evaluate(p, s, { penalties: regs, horizon: 2.2, gradient: false }).value,
      ev.gradient!,
      x,
      [5, 6],
      1e-6,
    );
  });
});

describe('trajectory regularizers: values', () => {
  it('the split f + g: f is the physics, g the network outputs of an additive closure', () => {
    let seen = false;
    const probe: TrajectoryRegularizer = {
      kind: 'trajectory',
      name: 'probe',
      penalty(batch) {
        const { x, f, g, rows } = vectorFieldParts(batch, ['F']);
        const w0sq = hm.parameterValues(batch.params).w0sq;
        for (let r = 0; r < rows; r++) {
          expect(f[r * 2]).toBeCloseTo(x[r * 2 + 1], 14);
          expect(f[r * 2 + 1]).toBeCloseTo(-w0sq * Math.sin(x[r * 2]) - 0.1 * x[r * 2 + 1], 14);
        }
        expect(rows).toBe(24);
        expect(g.some((v) => v !== 0)).toBe(true);
        seen = true;
        return 0;
      },
    };
    hm.evaluate(params(), subjects(), { penalties: [probe] });
    expect(seen).toBe(true);
  });

  it('the null model drops exactly the named networks', () => {
    const m = nullNetsModel(hm.model, ['R']);
    const off = new HybridModel(m, { method: rk4(), controller: constantSteps(0.25) });
    const x = params();
    const s = subjects();
    const full = hm.predict(x, s);
    const red = off.predict(x, s);
    // States identical (F still on), observable px loses R.
    expect(Array.from(red[0].states)).toEqual(Array.from(full[0].states));
    expect(red[0].observables[0]).toBeCloseTo(red[0].states[0], 15);
    expect(() => nullNetsModel(hm.model, ['G'])).toThrow(/no network "G"/);
  });

  it('closureNorm is 0 for a closure that outputs 0, and the data weight scales the fit', () => {
    const x = params();
    const zero = {
      ...x,
      nets: Object.fromEntries(
        Object.entries(x.nets).map(([k, ls]) => [
          k,
          ls.map((l) => ({
            w: new Tensor(NDArray.zeros(l.w.shape)),
            b: new Tensor(NDArray.zeros(l.b.shape)),
          })),
        ]),
      ),
    };
    const ev = hm.evaluate(zero, subjects(), { penalties: [closureNorm(), closureRatio()], dataWeight: 2.5 });
    expect(ev.penalties).toEqual({ closureNorm: 0, closureRatio: 0 });
    expect(ev.value).toBeCloseTo(2.5 * ev.dataLoss, 14);
  });

  it('rejects multiple shooting and bad options with clear messages', () => {
    expect(() =>
      hm.evaluate(params(), subjects(), { penalties: [closureNorm()], shooting: { segments: 2, weight: 1 } }),
    ).toThrow(/need whole trajectories/);
    expect(() => closureNorm({ weight: -1 })).toThrow(/weight/);
    expect(() => independence({ measure: 'hsic', bandwidth: 0 })).toThrow(/bandwidth/);
  });
});

describe("APHYNITY's adaptive data weight", () => {
  it('λ ← λ + τ2·L_traj after N_iter steps per batch', () => {
    const s = subjects();
    const x = params();
    const steps = 3;
    const r = train(hm, x, s, {
      optimizer: sgd(1e-3),
      epochs: 2,
      batchSize: 2,
      regularizers: [closureNorm()],
      adaptiveDataWeight: { initial: 0.5, rate: 2, steps },
    });
    // Replay: same batches (2 + 1 subjects per epoch), N_iter steps each, λ updated after each batch.
    let lambda = 0.5;
    let p = x;
    for (const epoch of [1, 2]) {
      const batches = r.history.length > 0 ? batchesOf(r, s, epoch) : [];
      for (const batch of batches) {
        let last = Number.NaN;
        for (let i = 0; i < steps; i++) {
          const ev = hm.evaluate(p, batch, { penalties: [closureNorm()], dataWeight: lambda });
          last = ev.dataLoss;
          p = step(p, ev.gradient!, 1e-3);
        }
        lambda += 2 * last;
      }
      expect(r.history[epoch - 1].dataWeight).toBeCloseTo(lambda, 12);
    }
    expect(Array.from(r.last.params.mech.data)).toEqual(Array.from(p.mech.data));
  });

  it('is rejected with bad settings', () => {
    expect(() =>
      train(hm, params(), subjects(), {
        optimizer: sgd(1e-3),
        epochs: 1,
        adaptiveDataWeight: { rate: 1, steps: 0 },
      }),
    ).toThrow(/steps/);
  });

  it('APHYNITY recovers ω0 on a small problem (physics + closure for the friction)', () => {
    // Truth: θ'' = −ω0² sin θ − 0.2 θ', ω0² = 1.0966 (T0 = 6); model: frictionless physics + net.
    const truthSrc = `
      param w0sq = 1.0966227112321507
      state x = 1
      state v = 0
      d/dt x = v
      d/dt v = -w0sq*sin(x) - 0.2*v
      obs px = x ~ normal(0.1)
      obs pv = v ~ normal(0.1)
    `;
    const truth = new HybridModel(parseModel(truthSrc), { method: rk4(), controller: constantSteps(0.05) });
    const times = Float64Array.from({ length: 20 }, (_, i) => 0.5 * (i + 1));
    const y0s = [
      [1.2, 0.5],
      [-1.0, 1.1],
      [0.4, -1.5],
      [-1.6, -0.3],
    ];
    const data: Subject[] = y0s.map((y0, k) => {
      const sub: Subject = {
        id: `t${k}`,
        times,
        observations: new Float64Array(40),
        y0: Float64Array.from(y0),
      };
      return { ...sub, observations: truth.predict(truth.init(), [sub])[0].observables };
    });
    const model = parseModel(`
      param w0sq = 0.5 in [0, inf]
      state x = 1
      state v = 0
      net F(x, v) -> (a, b) : mlp(16, tanh)
      d/dt x = v + F.a
      d/dt v = -w0sq*sin(x) + F.b
      obs px = x ~ normal(0.1)
      obs pv = v ~ normal(0.1)
    `);
    const aph = new HybridModel(model, { method: rk4(), controller: constantSteps(0.25) });
    const init = aph.init(rngKey(1));
    const small = {
      ...init,
      nets: {
        F: init.nets.F.map((l) => ({
          w: new Tensor(
            new NDArray(
              l.w.data.map((v) => 0.2 * v),
              l.w.shape,
            ),
          ),
          b: l.b,
        })),
      },
    };
    const r = train(aph, small, data, {
      optimizer: adam(1e-2),
      epochs: 400,
      regularizers: [closureNorm({ normalized: true }), l2Weights(0)],
      adaptiveDataWeight: { initial: 1, rate: 1, steps: 2 },
    });
    const err = (p: HybridParams) => {
      const w0 = Math.sqrt(aph.parameterValues(p).w0sq);
      return Math.abs(w0 - Math.sqrt(1.0966227112321507)) / Math.sqrt(1.0966227112321507);
    };
    expect(err(r.last.params)).toBeLessThan(0.05);
    // Without the norm penalty the same budget leaves more of the dynamics to the network.
    const naive = train(aph, small, data, {
      optimizer: adam(1e-2),
      epochs: 400,
      adaptiveDataWeight: { initial: 1, rate: 0, steps: 2 },
    });
    expect(err(naive.last.params)).toBeGreaterThan(err(r.last.params));
  });
});

/** The batches `train` used in an epoch (same permutation as the trainer). */
function batchesOf(_r: unknown, s: readonly Subject[], epoch: number): Subject[][] {
  const order = permutationFor(epoch, s.length);
  return [order.slice(0, 2).map((i) => s[i]), order.slice(2).map((i) => s[i])];
}

import { foldIn, permutation } from '../../src/tensor/random.js';

function permutationFor(epoch: number, n: number): number[] {
  return Array.from(permutation(foldIn(rngKey(0), epoch), n));
}

function step(p: HybridParams, g: HybridParams, lr: number): HybridParams {
  const upd = (a: Tensor, b: Tensor) =>
    new Tensor(
      new NDArray(
        a.data.map((v, i) => v - lr * b.data[i]),
        a.shape,
      ),
    );
  return hm.project({
    mech: upd(p.mech, g.mech),
    nets: Object.fromEntries(
      Object.entries(p.nets).map(([k, ls]) => [
        k,
        ls.map((l, i) => ({ w: upd(l.w, g.nets[k][i].w), b: upd(l.b, g.nets[k][i].b) })),
      ]),
    ),
    shooting: {},
  });
}
