import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/autodiff/tensor.js';
import { treeLeaves, treeUnflatten } from '../../src/autodiff/tree.js';
import { parseModel } from '../../src/expr/parse.js';
import { HybridModel } from '../../src/hybrid/hybridModel.js';
import { polish } from '../../src/hybrid/polish.js';
import { l2Weights } from '../../src/hybrid/regularizers.js';
import type { Subject } from '../../src/hybrid/subject.js';
import { type Optimizer, type TrainEvent, train } from '../../src/hybrid/trainer.js';
import { pid } from '../../src/ode/controller.js';
import { dopri5 } from '../../src/ode/methods/dopri5.js';
import { adam } from '../../src/optim/adam.js';
import { sgd } from '../../src/optim/sgd.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { rngKey } from '../../src/tensor/random.js';

const decay = parseModel(`
  param k = 0.3 in [0.01, 10] scale log
  param x0 = 2 in [0, inf] scale log
  state x = x0
  d/dt x = -k*x
  obs y = x ~ normal(0.1)
`);

/** Data from k = 0.7, x0 = 1.5 (exact solution), some values missing. */
function decaySubjects(n: number): Subject[] {
  return Array.from({ length: n }, (_, i) => {
    const times = Float64Array.from({ length: 6 }, (_, k) => 0.5 * (k + 1) + 0.1 * i);
    const observations = times.map((t, k) => ((i + k) % 5 === 4 ? Number.NaN : 1.5 * Math.exp(-0.7 * t)));
    return { id: `s${i}`, times, observations };
  });
}

const opts = { method: dopri5(), controller: pid({ rtol: 1e-8, atol: 1e-10 }) };

describe('train', () => {
  it('fits mechanistic parameters with mini-batches and validation', () => {
    const hm = new HybridModel(decay, opts);
    const result = train(hm, hm.init(), decaySubjects(10), {
      optimizer: sgd(0.5),
      epochs: 300,
      batchSize: 4,
      validation: { fraction: 0.2 },
      seed: 3,
    });
    expect(result.split.validation).toHaveLength(2);
    expect(result.split.train).toHaveLength(8);
    const v = hm.parameterValues(result.params);
    expect(v.k).toBeCloseTo(0.7, 4);
    expect(v.x0).toBeCloseTo(1.5, 4);
    expect(result.history.at(-1)!.valLoss!).toBeLessThan(1e-8);
  });

  it('is bit-for-bit reproducible for a seed, and the seed matters', () => {
    const hm = new HybridModel(decay, opts);
    const run = (seed: number) =>
      train(hm, hm.init(), decaySubjects(6), {
        optimizer: sgd(0.3),
        epochs: 5,
        batchSize: 2,
        seed,
      }).history.map((h) => h.loss);
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
  });

  it('recovers from a non-finite step by rolling back and lowering the learning rate', () => {
    const hm = new HybridModel(decay, opts);
    let calls = 0;
    const scales: number[] = [];
    const base = sgd(1);
    // The third update is NaN (as if a gradient blew up).
    const faulty: Optimizer<ReturnType<typeof base.init>> = {
      init: base.init,
      update(grads, state, params, context) {
        calls++;
        scales.push(context?.lrScale ?? 1);
        const r = base.update(grads, state, params, context);
        if (calls !== 3) return r;
        return {
          updates: treeUnflatten(
            r.updates,
            treeLeaves(r.updates).map(
              (t) =>
                new Tensor(
                  new NDArray(
                    t.data.map(() => Number.NaN),
                    t.shape,
                  ),
                ),
            ),
          ),
          state,
        };
      },
    };
    const events: TrainEvent[] = [];
    const result = train(hm, hm.init(), decaySubjects(4), {
      optimizer: faulty,
      epochs: 300,
      onEvent: (e) => events.push(e),
    });
    const nan = events.filter((e) => e.kind === 'nonFinite');
    expect(nan).toHaveLength(1);
    expect(nan[0]).toMatchObject({ epoch: 3, lrScale: 0.5 });
    // The retried step and every later one run at half the learning rate.
    expect(scales.slice(0, 4)).toEqual([1, 1, 1, 0.5]);
    expect(result.stopReason).toBe('epochs');
    expect(result.history).toHaveLength(300);
    expect(hm.parameterValues(result.params).k).toBeCloseTo(0.7, 3);
  });

  it('stops with a clear reason when the starting point cannot be evaluated', () => {
    // A log-normal observable whose prediction is negative: the likelihood is undefined.
    const negative = parseModel(`
      param k = 0.3 in [0.01, 10] scale log
      state x = -1
      d/dt x = -k*x
      obs y = x ~ lognormal(0.1)
    `);
    const hm = new HybridModel(negative, opts);
    const subjects = decaySubjects(2);
    const result = train(hm, hm.init(), subjects, { optimizer: sgd(0.1), epochs: 3, loss: 'nll' });
    expect(result.stopReason).toBe('diverged');
    expect(result.events.at(-1)).toMatchObject({ kind: 'diverged' });
    const last = result.events.at(-1);
    expect(last?.kind === 'diverged' && last.reason).toMatch(
      /the starting parameters give a non-finite loss/,
    );
  });

  it('rolls back when the solver fails, naming the trajectory', () => {
    const blowup = parseModel(`
      param k = 0.5 in [0, inf]
      state x = 1
      d/dt x = k*x*x
      obs y = x ~ normal(1)
    `);
    const hm = new HybridModel(blowup, { ...opts, maxSteps: 2000 });
    // Data pulls k upwards; a large step makes x blow up before t = 1.5 (k > 1/1.5).
    const subjects: Subject[] = [
      { id: 'a', times: Float64Array.of(0.5, 1, 1.5), observations: Float64Array.of(3, 6, 12) },
    ];
    const events: TrainEvent[] = [];
    const result = train(hm, hm.init(), subjects, {
      optimizer: sgd(0.05),
      epochs: 30,
      onEvent: (e) => events.push(e),
    });
    const failures = events.filter((e) => e.kind === 'nonFinite');
    expect(failures.length).toBeGreaterThan(0);
    expect(failures[0].kind === 'nonFinite' && failures[0].reason).toMatch(/trajectory 0 at t = /);
    expect(result.stopReason).toBe('epochs');
    expect(result.history).toHaveLength(30);
    expect(Number.isFinite(result.history.at(-1)!.loss)).toBe(true);
    expect(hm.parameterValues(result.params).k).toBeLessThan(1 / 1.5);
  });

  it('stops early and restores the best parameters', () => {
    const hm = new HybridModel(decay, opts);
    const subjects = decaySubjects(6);
    // Validation data from a different decay rate: validation loss rises once training fits k = 0.7.
    const val: Subject = {
      ...subjects[5],
      id: 'v',
      observations: subjects[5].times.map((t) => 1.5 * Math.exp(-0.5 * t)),
    };
    const result = train(hm, hm.init(), [...subjects.slice(0, 5), val], {
      optimizer: sgd(0.5),
      epochs: 500,
      validation: { ids: ['v'] },
      earlyStopping: { patience: 5 },
    });
    expect(result.stopReason).toBe('earlyStop');
    const best = result.history.find((h) => h.epoch === result.bestEpoch)!;
    expect(Math.min(...result.history.map((h) => h.valLoss!))).toBe(best.valLoss);
    expect(result.history.at(-1)!.epoch).toBe(result.bestEpoch + 5);
    expect(result.params).toBe(result.last.best.params);
  });

  it('resumes from a checkpoint to the same result as an uninterrupted run', () => {
    const hm = new HybridModel(decay, opts);
    const subjects = decaySubjects(6);
    const common = { optimizer: sgd(0.3), batchSize: 3, seed: 5 };
    const full = train(hm, hm.init(), subjects, { ...common, epochs: 8 });
    const states: unknown[] = [];
    const first = train(hm, hm.init(), subjects, {
      ...common,
      epochs: 4,
      onCheckpoint: (s) => states.push(s),
    });
    expect(states).toHaveLength(4);
    const resumed = train(hm, hm.init(), subjects, { ...common, epochs: 8, resume: first.last });
    expect(resumed.history.map((h) => h.loss)).toEqual(full.history.map((h) => h.loss));
  });

  it('grows the horizon with the curriculum and trains hybrid models with multiple shooting and regularizers', () => {
    const model = parseModel(`
      param k = 0.5 in [0, inf] scale log
      state x = 1
      net F(x) -> (a) : mlp(4, tanh)
      d/dt x = -k*x + F.a
      obs y = x ~ normal(0.1)
    `);
    const hm = new HybridModel(model, opts);
    const subjects = decaySubjects(3).map((s) => ({ ...s, y0: Float64Array.of(1.5) }));
    const events: TrainEvent[] = [];
    const result = train(hm, hm.init(rngKey(1)), subjects, {
      optimizer: sgd(0.05),
      epochs: 6,
      shooting: { segments: 2, weight: 1 },
      curriculum: { start: 1, end: 3, epochs: 3 },
      regularizers: [l2Weights(1e-3)],
      onEvent: (e) => events.push(e),
    });
    const horizons = events.flatMap((e) => (e.kind === 'epoch' ? [e.horizon] : []));
    expect(horizons).toEqual([1, 2, 3, null, null, null]);
    expect(Object.keys(result.params.shooting)).toEqual(['s0', 's1', 's2']);
    const losses = result.history.map((h) => h.loss);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[5]).toBeLessThan(losses[3]);
  });

  it('rejects bad options clearly', () => {
    const hm = new HybridModel(decay, opts);
    const s = decaySubjects(2);
    expect(() => train(hm, hm.init(), s, { optimizer: sgd(1), epochs: 1, batchsize: 2 } as never)).toThrow(
      /unknown option "batchsize"/,
    );
    expect(() =>
      train(hm, hm.init(), s, { optimizer: sgd(1), epochs: 1, validation: { ids: ['nope'] } }),
    ).toThrow(/validation subject "nope" is not among the subjects/);
  });
});

describe('polish', () => {
  it('converges with L-BFGS after a few Adam epochs', () => {
    const hm = new HybridModel(decay, opts);
    const subjects = decaySubjects(6);
    const rough = train(hm, hm.init(), subjects, { optimizer: adam(0.05), epochs: 20, seed: 1 });
    const before = hm.parameterValues(rough.params);
    expect(Math.abs(before.k - 0.7)).toBeGreaterThan(1e-3);
    const { params, result } = polish(hm, rough.params, subjects, { iterations: 100 });
    expect(result.status).toMatch(/converged|valueTolerance|stepTolerance/);
    const after = hm.parameterValues(params);
    expect(after.k).toBeCloseTo(0.7, 6);
    expect(after.x0).toBeCloseTo(1.5, 6);
  });
});
