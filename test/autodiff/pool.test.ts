/**
 * Buffer recycling must never hand out memory that something can still see: results,
 * captured intermediates, user cotangents and values held across steps must stay intact
 * however much is computed afterwards.
 */
import { describe, expect, it } from 'vitest';
import {
  add,
  customVjp,
  grad,
  linear,
  mul,
  reshape,
  sum,
  type Tensor,
  tanh,
  tensor,
  valueAndGrad,
  vjp,
} from '../../src/index.js';
import { pooledByteCount } from '../../src/tensor/pool.js';
import { maxRelErr, randomTensor, testRng } from '../support/fd.js';

const rng = testRng(42);
const params = {
  w1: randomTensor(rng, [64, 8], -0.5, 0.5),
  b1: randomTensor(rng, [64]),
  w2: randomTensor(rng, [64, 64], -0.2, 0.2),
  b2: randomTensor(rng, [64]),
  w3: randomTensor(rng, [3, 64], -0.2, 0.2),
};
const x = randomTensor(rng, [25, 8]);
type P = typeof params;

const snapshot = (t: Tensor): number[] => Array.from(t.data);

describe('recycled buffers are never visible', () => {
  it('gradients, values and captured intermediates survive later steps', () => {
    const captured: Tensor[] = [];
    const loss = (p: P) => {
      const h1 = linear(x, p.w1, p.b1, 'tanh');
      const h2 = tanh(add(mul(linear(h1, p.w2, p.b2), 0.5), reshape(h1, [25, 64])));
      captured.push(h1, h2);
      return sum(mul(linear(h2, p.w3), linear(h2, p.w3)));
    };
    const step = valueAndGrad(loss);
    const [v0, g0] = step(params);
    const kept = [v0, g0.w1, g0.b1, g0.w2, g0.b2, g0.w3, ...captured];
    const before = kept.map(snapshot);
    for (let i = 0; i < 20; i++) step(params);
    expect(pooledByteCount()).toBeGreaterThan(0); // recycling did happen
    kept.forEach((t, i) => {
      expect(snapshot(t)).toEqual(before[i]);
    });
    // and the computation is deterministic across reuse
    const [v1, g1] = step(params);
    expect(v1.item()).toBe(v0.item());
    expect(snapshot(g1.w2)).toEqual(snapshot(g0.w2));
  });

  it('gradients with recycling equal gradients computed with recycling off', () => {
    // Pass-throughs (add, reshape, identity), a tensor used twice in one op, broadcasting and
    // accumulation: every way a cotangent buffer can be shared.
    const loss = (p: P) => {
      const h = linear(x, p.w1, p.b1, 'tanh');
      const a = add(h, h);
      const b = add(reshape(a, [5, 5, 64]), mul(reshape(h, [5, 5, 64]), 0.3));
      const c = tanh(add(reshape(b, [25, 64]), p.b2));
      const d = add(linear(c, p.w2, undefined, 'sigmoid'), c);
      return sum(mul(linear(add(d, h), p.w3), add(linear(d, p.w3), 1)));
    };
    const fast = grad(loss)(params);
    // Inside an enclosing transformation the backward pass is recorded, which turns recycling off.
    let reference: P | null = null;
    vjp(
      (s: Tensor) => {
        reference = grad(loss)(params);
        return s;
      },
      tensor([0]),
    );
    const ref = reference as P | null;
    if (ref === null) throw new Error('reference not computed');
    // Equal up to rounding (the recorded path sums in another order); a recycled buffer
    // that was still in use would give errors of order one.
    for (const k of Object.keys(params) as (keyof P)[]) {
      expect(maxRelErr(fast[k].data, ref[k].data), k).toBeLessThan(1e-12);
    }
  });

  it('a user cotangent passed to a pullback is never recycled', () => {
    // The output passes its cotangent straight through (add, reshape): the user's buffer
    // reaches the walker's intermediate cotangents unchanged.
    const [, back] = vjp(
      (p: P) => reshape(add(linear(linear(x, p.w1, p.b1, 'tanh'), p.w2, p.b2, 'sigmoid'), 1), [5, 5, 64]),
      params,
    );
    const ct = randomTensor(rng, [5, 5, 64]);
    const before = snapshot(ct);
    const g = back(ct);
    for (let i = 0; i < 5; i++) back(randomTensor(rng, [5, 5, 64]));
    expect(snapshot(ct)).toEqual(before);
    expect(snapshot(back(ct).w1)).toEqual(snapshot(g.w1));
  });

  it('buffers returned by a custom VJP rule are left alone', () => {
    const stash: Tensor[] = [];
    const twice = customVjp(
      'twice',
      ([a]) => mul(a, 2),
      (g) => {
        const r = mul(g, 2);
        stash.push(r);
        return [r];
      },
    );
    const f = (z: Tensor) => sum(tanh(twice(tanh(linear(z, params.w1)))));
    grad(f)(x);
    const before = snapshot(stash[0]);
    for (let i = 0; i < 5; i++) grad(f)(x);
    expect(snapshot(stash[0])).toEqual(before);
  });

  it('second derivatives (recorded backward passes) are unaffected', () => {
    const f = (z: Tensor) =>
      sum(linear(linear(z, params.w1, params.b1, 'tanh'), params.w2, undefined, 'tanh'));
    const g = grad((z: Tensor) => sum(mul(grad(f)(z), grad(f)(z))));
    const first = snapshot(g(x));
    for (let i = 0; i < 5; i++) g(x);
    expect(snapshot(g(x))).toEqual(first);
    expect(tensor(first).size).toBe(x.size);
  });
});
