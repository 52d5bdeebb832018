import { describe, expect, it } from 'vitest';
import type { TrainEvent } from '../../src/hybrid/trainer.js';
import { formatDuration, formatEpoch, progressReporter } from '../../src/node/progress.js';

const epoch = (
  n: number,
  of: number,
  extra: Partial<Extract<TrainEvent, { kind: 'epoch' }>> = {},
): TrainEvent => ({
  kind: 'epoch',
  epoch: n,
  epochs: of,
  loss: 0.5 / n,
  dataLoss: 0.5 / n,
  valLoss: null,
  lrScale: 1,
  horizon: null,
  elapsedMs: 1000 * n,
  etaMs: 1000 * (of - n),
  ...extra,
});

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, columns: 100, write: (s: string) => chunks.push(s) } };
}

describe('progress', () => {
  it('formats epochs with a bar, validation loss, learning-rate factor and ETA', () => {
    expect(formatEpoch(epoch(5, 10) as Extract<TrainEvent, { kind: 'epoch' }>, 10)).toBe(
      'epoch 5/10 [#####.....]  50% loss 0.1000 ETA 0:05',
    );
    const e = epoch(10, 10, { valLoss: 2.5e-5, lrScale: 0.25, horizon: 3 }) as Extract<
      TrainEvent,
      { kind: 'epoch' }
    >;
    expect(formatEpoch(e)).toBe('epoch 10/10 loss 0.05000 val 2.500e-5 lr×0.2500 horizon 3.000 took 0:10');
    expect(formatDuration(3_725_000)).toBe('1:02:05');
  });

  it('redraws one line on a terminal and ends it at the last epoch or an incident', () => {
    const { chunks, stream } = sink(true);
    const report = progressReporter(stream);
    report(epoch(1, 3));
    report({
      kind: 'nonFinite',
      epoch: 2,
      step: 7,
      reason: 'trajectory 0 at t = 1: state 0 became NaN',
      lrScale: 0.5,
    });
    report(epoch(2, 3));
    report(epoch(3, 3));
    expect(chunks[0].startsWith('\repoch 1/3 [')).toBe(true);
    expect(chunks[1]).toBe(
      '\nepoch 2, step 7: trajectory 0 at t = 1: state 0 became NaN; rolled back, learning rate ×0.5000\n',
    );
    expect(chunks[3].endsWith('\n')).toBe(true);
  });

  it('prints plain lines (a subset of epochs) elsewhere', () => {
    const { chunks, stream } = sink(false);
    const report = progressReporter(stream);
    for (let i = 1; i <= 100; i++) report(epoch(i, 100));
    expect(chunks.every((c) => c.endsWith('\n') && !c.includes('\r'))).toBe(true);
    expect(chunks).toHaveLength(21);
    expect(chunks.at(-1)).toMatch(/^epoch 100\/100 loss .* took 1:40\n$/);
  });
});
