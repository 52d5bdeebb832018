/**
 * Agreement with torch.optim: the trajectories in test/fixtures/optim/optim-trajectories.json
 * were made by test/fixtures/optim/generate.py (PyTorch 1.13, float64) from a fixed sequence
 * of gradients; each optimizer here must follow them to 1e-13 relative.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/autodiff/tensor.js';
import { type Tree, treeLeaves, treeUnflatten } from '../../src/autodiff/tree.js';
import { adam, adamw } from '../../src/optim/adam.js';
import { rmsprop } from '../../src/optim/rmsprop.js';
import { exponentialDecaySchedule, type LearningRate, stepDecaySchedule } from '../../src/optim/schedules.js';
import { sgd } from '../../src/optim/sgd.js';
import type { GradientTransformation } from '../../src/optim/transform.js';
import { NDArray } from '../../src/tensor/ndarray.js';

interface Case {
  name: string;
  optimizer: 'sgd' | 'adam' | 'adamw' | 'rmsprop';
  lr:
    | number
    | {
        stepDecay?: { init: number; stepSize: number; gamma: number };
        exponentialDecay?: { init: number; rate: number };
      };
  options: Record<string, number | boolean>;
  params: number[][][];
}

interface Fixture {
  shapes: number[][];
  params0: number[][];
  grads: number[][][];
  cases: Case[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/optim/optim-trajectories.json', import.meta.url), 'utf8'),
) as Fixture;

function tree(leaves: number[][]): Tree {
  return { a: leaf(leaves[0], fixture.shapes[0]), b: [leaf(leaves[1], fixture.shapes[1])] };
}

function leaf(values: number[], shape: number[]): Tensor {
  return new Tensor(new NDArray(Float64Array.from(values), shape));
}

function learningRate(lr: Case['lr']): LearningRate {
  if (typeof lr === 'number') return lr;
  if (lr.stepDecay) return stepDecaySchedule(lr.stepDecay.init, lr.stepDecay);
  if (lr.exponentialDecay) return exponentialDecaySchedule(lr.exponentialDecay.init, lr.exponentialDecay);
  throw new Error('unknown schedule in fixture');
}

function build(c: Case): GradientTransformation<unknown> {
  const lr = learningRate(c.lr);
  switch (c.optimizer) {
    case 'sgd':
      return sgd(lr, c.options);
    case 'adam':
      return adam(lr, c.options);
    case 'adamw':
      return adamw(lr, c.options);
    case 'rmsprop':
      return rmsprop(lr, c.options);
  }
}

describe('torch.optim trajectories', () => {
  it('has the cases the generator writes', () => {
    expect(fixture.cases.map((c) => c.name)).toContain('rmsprop-centered-momentum');
    expect(fixture.cases.length).toBeGreaterThanOrEqual(14);
  });

  for (const c of fixture.cases) {
    it(`${c.name} matches PyTorch step for step to 1e-13 relative`, () => {
      const opt = build(c);
      let params = tree(fixture.params0);
      let state = opt.init(params);
      let worst = 0;
      fixture.grads.forEach((g, t) => {
        const r = opt.update(tree(g), state, params);
        const us = treeLeaves(r.updates);
        params = treeUnflatten(
          params,
          treeLeaves(params).map((p, i) =>
            leaf(
              Array.from(p.data, (v, j) => v + us[i].data[j]),
              p.shape.slice(),
            ),
          ),
        );
        state = r.state;
        const expected = c.params[t];
        treeLeaves(params).forEach((p, i) => {
          p.data.forEach((v, j) => {
            const e = expected[i][j];
            worst = Math.max(worst, Math.abs(v - e) / Math.abs(e));
          });
        });
      });
      expect(worst).toBeLessThanOrEqual(1e-13);
    });
  }
});
