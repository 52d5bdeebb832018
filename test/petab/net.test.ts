/**
 * Imported networks: the runtime that runs them inside compiled models (forward, VJP and
 * Jacobian against finite differences), PyTorch's default initialization, and the errors for
 * what cannot be imported.
 */
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/autodiff/tensor.js';
import { GraphNet, NetImportError, parseNetYaml } from '../../src/petab/net.js';
import { GraphNetRuntime } from '../../src/petab/netRuntime.js';
import { rngKey } from '../../src/tensor/random.js';
import { SYNTHETIC } from './synthetic.js';

const yaml = (layers: string, forward: string) => `nn_model_id: n
inputs: [{input_id: x}]
layers:
${layers}
forward:
- {name: x, op: placeholder, target: x, args: [], kwargs: {}}
${forward}
`;

describe('GraphNetRuntime', () => {
  const net = new GraphNet(parseNetYaml(SYNTHETIC['dyn.yaml'], 'dyn.yaml'), 'dyn.yaml');
  const params = net.init(rngKey(4));
  const rt = new GraphNetRuntime([{ net, argSizes: [2], outputs: [[0, 0]] }], [params]);
  const x = Float64Array.of(0.3, -0.7, 1.1, 0.4);

  it('runs each row through the network', () => {
    const out = new Float64Array(2);
    rt.forward(0, x, 2, out);
    expect(out[1]).toBe(net.apply(params, [tensor([1.1, 0.4])])[0].data[0]);
  });

  it('has the Jacobian and input VJP of finite differences; accumulates weight gradients', () => {
    const jac = new Float64Array(2 * 2);
    rt.jacobian(0, x, 2, jac);
    const h = 1e-6;
    for (let r = 0; r < 2; r++)
      for (let i = 0; i < 2; i++) {
        const up = x.slice();
        const dn = x.slice();
        up[r * 2 + i] += h;
        dn[r * 2 + i] -= h;
        const a = new Float64Array(2);
        const b = new Float64Array(2);
        rt.forward(0, up, 2, a);
        rt.forward(0, dn, 2, b);
        expect(jac[r * 2 + i]).toBeCloseTo((a[r] - b[r]) / (2 * h), 8);
      }
    const xBar = new Float64Array(4);
    rt.zeroGradients();
    rt.backward(0, x, 2, Float64Array.of(1, 0.5), xBar);
    expect(xBar[2]).toBeCloseTo(0.5 * jac[2], 12);
    const g = rt.gradients()[0];
    // ∂(y₀ + ½y₁)/∂(layer2.bias) = 1.5
    expect(g.layer2.bias[0]).toBeCloseTo(1.5, 12);
  });
});

describe('GraphNet', () => {
  it('initializes as PyTorch: U(±1/√fan_in) for Linear, ones and zeros for norms', () => {
    const net = new GraphNet(
      parseNetYaml(
        yaml(
          `- {layer_id: l, layer_type: Linear, args: {in_features: 4, out_features: 50}}
- {layer_id: n, layer_type: LayerNorm, args: {normalized_shape: [50]}}`,
          `- {name: l, op: call_module, target: l, args: [x], kwargs: {}}
- {name: n, op: call_module, target: n, args: [l], kwargs: {}}
- {name: output, op: output, target: output, args: [n], kwargs: {}}`,
        ),
        'n.yaml',
      ),
      'n.yaml',
    );
    const p = net.init(rngKey(0));
    const w = p.l.weight.data;
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(0.5);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.45);
    expect(Array.from(p.n.weight.data).every((v) => v === 1)).toBe(true);
    expect(Array.from(p.n.bias.data).every((v) => v === 0)).toBe(true);
    const [y] = net.apply(p, [tensor([0.1, -0.2, 0.3, 0.4])]);
    // Layer norm with unit weight and zero bias: mean 0 and (biased) variance 1/(1 + ε/var).
    expect(Math.abs(y.data.reduce((a, b) => a + b, 0))).toBeLessThan(1e-12);
  });

  it('rejects unsupported layers, functions and malformed graphs, naming them', () => {
    const make = (layers: string, forward: string) => () =>
      new GraphNet(parseNetYaml(yaml(layers, forward), 'bad.yaml'), 'bad.yaml');
    expect(
      make(
        '- {layer_id: r, layer_type: RNN, args: {}}',
        '- {name: output, op: output, target: output, args: [x], kwargs: {}}',
      ),
    ).toThrow(/layer "r" \(RNN\): layer type "RNN" is not supported/);
    expect(
      make(
        '- {layer_id: c, layer_type: Conv1d, args: {in_channels: 1, out_channels: 1, kernel_size: 3, padding_mode: reflect}}',
        '- {name: output, op: output, target: output, args: [x], kwargs: {}}',
      ),
    ).toThrow(/padding mode other than "zeros"/);
    expect(
      make(
        '  []',
        `- {name: y, op: call_module, target: nope, args: [x], kwargs: {}}
- {name: output, op: output, target: output, args: [y], kwargs: {}}`,
      ),
    ).toThrow(/unknown layer "nope"/);
    expect(make('  []', '')).toThrow(/no output node/);
    const net = new GraphNet(
      parseNetYaml(
        yaml(
          '  []',
          `- {name: y, op: call_function, target: erfinv, args: [x], kwargs: {}}
- {name: output, op: output, target: output, args: [y], kwargs: {}}`,
        ),
        'f.yaml',
      ),
      'f.yaml',
    );
    expect(() => net.apply({}, [tensor([1])])).toThrow(/function "erfinv" is not supported/);
    expect(() => parseNetYaml('layers: []', 'x.yaml')).toThrow(NetImportError);
  });
});
