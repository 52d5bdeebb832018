import { describe, expect, it } from 'vitest';
import { dataset, MODELS, QUICK, runModel, type Settings } from '../../examples/repro/r1.js';
import { hasTorch, startPeer } from '../../examples/repro/r1-torch.js';

// The whole APHYNITY training loop (RK4 solve, discrete adjoint, the normalized closure norm on
// the data, Adam, λ ← λ + τ2·L_traj, validation checkpoints) against an independent PyTorch
// program from the same weights: float64 on both sides, so the runs agree to rounding.
describe.skipIf(!hasTorch())('R1 APHYNITY training: greybox against PyTorch (python3-torch)', () => {
  it('gives the same λ, ω0, training and validation MSE epoch by epoch', async () => {
    const settings: Settings = {
      ...QUICK,
      width: 8,
      epochs: 6,
      polish: 0,
      seeds: 1,
      nTrain: 4,
      nVal: 3,
      nTest: 3,
    };
    const data = {
      train: dataset(3, 'train', settings.nTrain),
      val: dataset(3, 'val', settings.nVal),
      test: dataset(3, 'test', settings.nTest),
    };
    const spec = MODELS.find((m) => m.id === 'aphynity_w0')!;
    const peer = await startPeer(settings, 1, data);
    const greybox = runModel(spec, settings, 1, data, () => {});
    const torch = await peer.result;
    expect(greybox.trace.map((t) => t.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(torch.history.map((t) => t.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
    greybox.trace.forEach((g, i) => {
      const t = torch.history[i];
      expect(rel(g.lambda, t.lambda)).toBeLessThan(1e-10);
      expect(rel(g.w0!, t.w0!)).toBeLessThan(1e-10);
      expect(rel(g.fit, t.fit)).toBeLessThan(1e-9);
      expect(rel(g.val, t.val)).toBeLessThan(1e-9);
    });
    expect(Math.abs(greybox.logMse - torch.test_log10_mse)).toBeLessThan(1e-9);
    expect(Math.abs(greybox.trainLogMse - torch.train_log10_mse)).toBeLessThan(1e-9);
  }, 60_000);
});
