import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/node/cli/config.js';

const ok = `
name: demo
model: model.gbx
data:
  file: data.csv
  format: nonmem
fit:
  epochs: 50
  optimizer: { name: adamw, lr: 0.003, weightDecay: 0.0001 }
  regularizers:
    - { kind: l2Weights, weight: 0.001 }
`;

describe('project config', () => {
  it('reads a valid config and fills in defaults', () => {
    const c = parseConfig(ok, 'greybox.yaml');
    expect(c.fit.epochs).toBe(50);
    expect(c.fit.loss).toBe('mse');
    expect(c.fit.optimizer).toEqual({ name: 'adamw', lr: 0.003, weightDecay: 0.0001 });
    expect(c.solver.method).toBe('tsit5');
    expect(c.output).toBe('out');
    // JSON is YAML too.
    expect(parseConfig('{"model": "m.gbx", "data": {"file": "d.csv"}}', 'greybox.json').model).toBe('m.gbx');
  });

  it('points at the offending key with line and column', () => {
    const cases: [string, RegExp][] = [
      [
        ok.replace('epochs: 50', 'epochs: 2.5'),
        /greybox.yaml line 8, column 11, fit.epochs: must be integer/,
      ],
      [
        ok.replace('epochs: 50', 'epoch: 50'),
        /line 8, column 3, fit.epoch: unknown key "epoch" — did you mean "epochs"\?/,
      ],
      [
        ok.replace('name: adamw', 'name: adamax'),
        /fit.optimizer.name: must be one of "adam", "adamw", "sgd", "rmsprop"/,
      ],
      [
        ok.replace('weight: 0.001', 'weight: -1'),
        /line 11, column 34, fit.regularizers\[0\].weight: must be >= 0/,
      ],
      [ok.replace('  file: data.csv\n', ''), /line 5, column 3, data: missing key "file"/],
      [ok.replace('format: nonmem', 'format: [nonmem'), /greybox.yaml line \d+, column \d+: /],
      ['- a\n- b\n', /must be a mapping with at least "model:" and "data:"/],
      [ok.replace('fit:', 'fitt:'), /line 7, column 1, fitt: unknown key "fitt" — did you mean "fit"\?/],
    ];
    for (const [text, want] of cases) expect(() => parseConfig(text, 'greybox.yaml')).toThrow(want);
  });

  it('reports every problem, not only the first', () => {
    const text = ok.replace('epochs: 50', 'epochs: -1').replace('name: demo', 'nmae: demo');
    try {
      parseConfig(text, 'greybox.yaml');
      expect.unreachable();
    } catch (e) {
      const lines = (e as Error).message.split('\n');
      expect(lines).toHaveLength(2);
    }
  });
});
