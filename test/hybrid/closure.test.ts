/**
 * closureTraces: each network call's outputs along a predicted trajectory. Checked against the
 * compiled right-hand side (an independent route to the same numbers: the closure is what the
 * field adds to the known physics), and for what it leaves out (gradient calls, calls on
 * time-varying inputs).
 */
import { describe, expect, it } from 'vitest';
import { parseModel } from '../../src/expr/parse.js';
import { closureTraces } from '../../src/hybrid/closure.js';
import { HybridModel } from '../../src/hybrid/hybridModel.js';
import type { Subject } from '../../src/hybrid/subject.js';
import { rngKey } from '../../src/tensor/random.js';

const MIXED = `
model mixed
param k = 1.3 in [0.1, 5]
state theta = 1
state omega = 0
net F(theta, omega) -> (a) : mlp(8, tanh)
net H(theta, omega) -> (e) : mlp(8, tanh)
d/dt theta = omega + 0.1 * grad(H.e, omega)
d/dt omega = -k * sin(theta) + F.a
obs th = theta ~ normal(0.1)
`;

const subject: Subject = {
  id: 's1',
  times: Float64Array.from({ length: 9 }, (_, i) => 0.5 * (i + 1)),
  observations: new Float64Array(9),
};

describe('closureTraces', () => {
  it("gives each plain network call's outputs at the predicted states, as the field adds them", () => {
    const hm = new HybridModel(parseModel(MIXED));
    const params = hm.init(rngKey(3));
    const [pred] = hm.predict(params, [subject]);
    const traces = closureTraces(hm, params, subject, pred);
    // F and H's own call; the gradient call grad(H.e, omega) is not a network output.
    expect(hm.model.calls.length).toBe(3);
    expect(traces.map((t) => t.net)).toEqual(['F', 'H']);
    const f = traces[0];
    expect(f.outputs).toEqual(['a']);
    expect(Array.from(f.times)).toEqual(Array.from(subject.times));
    // F.a = d/dt omega + k·sin(theta), from the compiled field at the predicted states.
    const c = hm.compiled;
    const values = hm.parameterValues(params);
    const k = values.k;
    const p = Float64Array.from(hm.model.params, (decl) => values[decl.name]);
    const out = new Float64Array(2);
    for (let i = 0; i < subject.times.length; i++) {
      const y = pred.states.subarray(2 * i, 2 * i + 2);
      c.rhs(Float64Array.of(subject.times[i]), y, p, new Float64Array(0), new Float64Array(0), out, 1);
      expect(f.values[i]).toBeCloseTo(out[1] + k * Math.sin(y[0]), 12);
    }
    expect(traces[1].values.length).toBe(subject.times.length);
  });

  it('leaves out calls whose inputs are time-varying inputs', () => {
    const hm = new HybridModel(
      parseModel(`
        model driven
        input u
        state x = 1
        net G(x) -> (a) : mlp(4, tanh)
        net D(u) -> (b) : mlp(4, tanh)
        d/dt x = -x + G.a + D.b
        obs xo = x ~ normal(0.1)
      `),
    );
    const params = hm.init(rngKey(1));
    const driven: Subject = {
      ...subject,
      inputs: { u: { times: [0, 2], values: [1, 0], interpolation: 'step' } },
    };
    const [pred] = hm.predict(params, [driven]);
    expect(closureTraces(hm, params, driven, pred).map((t) => t.net)).toEqual(['G']);
  });
});
