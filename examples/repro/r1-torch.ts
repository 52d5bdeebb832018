/**
 * r1-torch: APHYNITY's training rule run twice on R1's data, by greybox and by an independent
 * PyTorch implementation (examples/repro/peers/aphynity_torch.py), from the same initial
 * weights, in float64. A check that R1's APHYNITY (ω0) numbers — λ stalling near 105 and the
 * test log10 MSE near −4.8 — come from the training rule and not from greybox.
 *
 *     npm run repro -- r1-torch [--quick] [--seed N]
 *
 * Needs Debian's python3-torch (`apt-get install python3-torch`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Subject } from '../../src/hybrid/subject.js';
import type { Experiment, RunOptions } from './experiment.js';
import { markdownTable, meanSd } from './experiment.js';
import {
  closureInit,
  DT,
  dataset,
  FULL,
  MODELS,
  modelOf,
  N_ITER,
  OMEGA0,
  QUICK,
  runModel,
  type Settings,
  type TracePoint,
} from './r1.js';

const PEER = fileURLToPath(new URL('./peers/aphynity_torch.py', import.meta.url));
/** Debian's interpreter, where python3-torch installs. */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** What the peer prints: its trace at the logged epochs and the best-validation checkpoint's metrics. */
export interface PeerResult {
  readonly history: readonly TracePoint[];
  readonly best_epoch: number;
  readonly lambda: number;
  readonly w0: number;
  readonly train_log10_mse: number;
  readonly test_log10_mse: number;
  readonly seconds: number;
}

/** One side's result for one seed. */
interface Side {
  readonly lambda: number;
  readonly w0: number;
  readonly trainLog10: number;
  readonly testLog10: number;
  readonly seconds: number;
  readonly trace: readonly TracePoint[];
}

const rows = (subjects: readonly Subject[]) => ({
  y0: subjects.map((s) => Array.from(s.y0!)),
  obs: subjects.map((s) =>
    Array.from({ length: s.times.length }, (_, i) => [s.observations[2 * i], s.observations[2 * i + 1]]),
  ),
});

/**
 * Starts the PyTorch peer on one seed in its own process and resolves once the job has been
 * handed over (greybox's training is synchronous and would hold the job's bytes in the event
 * loop otherwise); `result` resolves when the peer is done.
 */
export async function startPeer(
  settings: Settings,
  seed: number,
  data: Record<'train' | 'val' | 'test', Subject[]>,
): Promise<{ readonly result: Promise<PeerResult> }> {
  const spec = MODELS.find((m) => m.id === 'aphynity_w0')!;
  const hm = modelOf(spec, settings);
  const start = closureInit(hm, seed, settings.biasInit);
  const job = {
    seed,
    width: settings.width,
    lr: settings.lr,
    epochs: settings.epochs,
    n_iter: N_ITER,
    tau2: 1,
    lambda0: 1,
    substeps: settings.substeps,
    dt: DT,
    init: {
      w0sq: hm.parameterValues(start).w0sq,
      layers: start.nets.F.map((l) => {
        const [out, inn] = l.w.shape;
        return {
          w: Array.from({ length: out }, (_, i) => Array.from(l.w.data.subarray(i * inn, (i + 1) * inn))),
          b: Array.from(l.b.data),
        };
      }),
    },
    train: rows(data.train),
    val: rows(data.val),
    test: rows(data.test),
  };
  const child = spawn(PYTHON, [PEER], { stdio: ['pipe', 'pipe', 'inherit'] });
  const result = new Promise<PeerResult>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) {
        reject(
          new Error(
            `r1-torch: the PyTorch peer (${PEER}) exited with ${code ?? signal}; it needs Debian's python3-torch ` +
              '(apt-get install python3-torch)',
          ),
        );
        return;
      }
      const lines = out.trim().split('\n');
      resolve(JSON.parse(lines[lines.length - 1]) as PeerResult);
    });
  });
  // Handled where it is awaited; this keeps an early failure from being reported as unhandled.
  result.catch(() => {});
  await new Promise<void>((resolve, reject) => {
    child.stdin.once('error', reject);
    child.stdin.end(JSON.stringify(job), () => resolve());
  });
  return { result };
}

/** Whether Debian's python3 can import torch (the peer's one requirement). */
export function hasTorch(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

export const experiment: Experiment = {
  id: 'r1-torch',
  title: "R1's APHYNITY (ω0) training rule, greybox next to PyTorch",
  async run(options: RunOptions) {
    if (!hasTorch())
      throw new Error(
        `r1-torch: ${PYTHON} cannot import torch; install Debian's python3-torch (apt-get install python3-torch)`,
      );
    // R1's run sizes without the L-BFGS polish (greybox's addition; the peer has none).
    const base = options.quick ? QUICK : FULL;
    const settings: Settings = { ...base, polish: 0 };
    const data = {
      train: dataset(options.seed, 'train', settings.nTrain),
      val: dataset(options.seed, 'val', settings.nVal),
      test: dataset(options.seed, 'test', settings.nTest),
    };
    const spec = MODELS.find((m) => m.id === 'aphynity_w0')!;
    const seeds = Array.from({ length: settings.seeds }, (_, i) => options.seed + i);
    // The peers run in their own processes, all started first; greybox trains meanwhile.
    const peers = await Promise.all(seeds.map((seed) => startPeer(settings, seed, data)));
    const greyboxRuns = seeds.map((seed) => runModel(spec, settings, seed, data, options.log));
    const peerRuns = await Promise.all(peers.map((p) => p.result));
    const runs = seeds.map((seed, i) => {
      const g = greyboxRuns[i];
      const p = peerRuns[i];
      const greybox: Side = {
        lambda: g.lambda!,
        w0: g.w0!,
        trainLog10: g.trainLogMse,
        testLog10: g.logMse,
        seconds: g.seconds,
        trace: g.trace,
      };
      const torch: Side = {
        lambda: p.lambda,
        w0: p.w0,
        trainLog10: p.train_log10_mse,
        testLog10: p.test_log10_mse,
        seconds: p.seconds,
        trace: p.history,
      };
      return { seed, greybox, torch };
    });
    return report(options, settings, runs);
  },
};

function report(
  options: RunOptions,
  settings: Settings,
  runs: readonly { seed: number; greybox: Side; torch: Side }[],
) {
  const errPct = (w0: number) => (100 * Math.abs(w0 - OMEGA0)) / OMEGA0;
  const sides = ['greybox', 'torch'] as const;
  const label = { greybox: 'greybox', torch: 'PyTorch' };
  const summary = (side: (typeof sides)[number]) => ({
    lambda: runs.map((r) => r[side].lambda),
    w0_err_pct: runs.map((r) => errPct(r[side].w0)),
    train_log10_mse: runs.map((r) => r[side].trainLog10),
    test_log10_mse: runs.map((r) => r[side].testLog10),
    seconds: runs.map((r) => r[side].seconds),
  });
  const maxTestDiff = Math.max(...runs.map((r) => Math.abs(r.greybox.testLog10 - r.torch.testLog10)));
  const maxLambdaDiff = Math.max(
    ...runs.map((r) => Math.abs(r.greybox.lambda - r.torch.lambda) / r.torch.lambda),
  );
  const allAbove = runs.every((r) => r.greybox.testLog10 > -6 && r.torch.testLog10 > -6);
  // The last logged epoch up to which both runs agree to 1e-6 (λ, ω0, validation MSE).
  const agreeUntil = runs.map((r) => {
    const byEpoch = new Map(r.torch.trace.map((t) => [t.epoch, t]));
    const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.abs(b);
    let last = 0;
    for (const g of r.greybox.trace) {
      const t = byEpoch.get(g.epoch);
      if (t === undefined || !close(g.lambda, t.lambda) || !close(g.w0!, t.w0!) || !close(g.val, t.val))
        break;
      last = g.epoch;
    }
    return last;
  });
  const resultRows = runs.flatMap((r) =>
    sides.map((side) => [
      String(r.seed),
      label[side],
      r[side].lambda.toFixed(2),
      `${r[side].w0.toFixed(4)} (${errPct(r[side].w0).toFixed(2)} %)`,
      r[side].trainLog10.toFixed(2),
      r[side].testLog10.toFixed(2),
      r[side].seconds.toFixed(0),
    ]),
  );
  const meanRows = sides.map((side) => {
    const s = summary(side);
    return [
      label[side],
      meanSd(s.lambda, 1),
      meanSd(s.w0_err_pct, 2),
      meanSd(s.train_log10_mse, 2),
      meanSd(s.test_log10_mse, 2),
    ];
  });
  const traceTables = runs.map((r) => {
    const byEpoch = new Map(r.torch.trace.map((t) => [t.epoch, t]));
    const e = (v: number) => v.toExponential(2);
    const lines = r.greybox.trace.map((g) => {
      const t = byEpoch.get(g.epoch);
      return [
        String(g.epoch),
        g.lambda.toFixed(2),
        t === undefined ? '—' : t.lambda.toFixed(2),
        g.w0 === null ? '—' : g.w0.toFixed(4),
        t?.w0 == null ? '—' : t.w0.toFixed(4),
        e(g.fit),
        t === undefined ? '—' : e(t.fit),
        e(g.val),
        t === undefined ? '—' : e(t.val),
      ];
    });
    return [
      `Seed ${r.seed}, by epoch (fit: the mean training MSE of the epoch's Adam steps; val: the validation MSE after the epoch):`,
      '',
      markdownTable(
        [
          'epoch',
          'λ greybox',
          'λ PyTorch',
          'ω0 greybox',
          'ω0 PyTorch',
          'fit greybox',
          'fit PyTorch',
          'val greybox',
          'val PyTorch',
        ],
        lines,
      ),
      '',
    ];
  });
  const s = settings;
  const page = [
    `# ${experiment.title}${options.quick ? ' (quick run)' : ''}`,
    '',
    `Command: \`${options.command}\``,
    '',
    "R1's APHYNITY (ω0) row (docs/results/r1.md) misses the paper's log10 MSE (−4.79 against −7.86), and r1.md " +
      'attributes this to the training rule: λ ← λ + τ2·L_traj is set by the first epochs and then stalls, and at that λ ' +
      "the objective's own minimum sits at a training MSE near 1e-5. This page checks that attribution against an " +
      'independent implementation. The same training rule is run by greybox (`runModel` of examples/repro/r1.ts) and by ' +
      'a PyTorch program written separately from the algorithm (examples/repro/peers/aphynity_torch.py: RK4 as a loop ' +
      'of tensor operations, backpropagation through the steps, torch.optim.Adam). Both start from the same closure weights ' +
      "and ω0² = 0.2 and train on the same data (r1's dataset, data seed " +
      `${options.seed}) in float64.`,
    '',
    `Settings (r1's ${options.quick ? 'quick' : 'default'} size without its L-BFGS polish): closure MLP 2→${s.width}→${s.width}→2 ReLU, ` +
      `orthogonal init with gain 0.2, zero biases; RK4 with step ${DT / s.substeps}; Adam lr ${s.lr}, ${s.epochs} epochs × ` +
      `N_iter = ${N_ITER} steps on the full batch of ${s.nTrain} trajectories; objective λ·L_traj + mean((‖F_a(X)‖/(‖X‖ + 1e-5))²) ` +
      'on the observed states; λ0 = 1, τ2 = 1; the checkpoint with the lowest validation MSE is kept; test log10 MSE over ' +
      `${s.nTest} test trajectories. Network seeds ${runs.map((r) => r.seed).join(', ')}.`,
    '',
    markdownTable(
      ['seed', 'implementation', 'final λ', 'ω0 (error)', 'training log10 MSE', 'test log10 MSE', 'seconds'],
      resultRows,
    ),
    '',
    'Mean ± sd over the seeds:',
    '',
    markdownTable(
      ['implementation', 'final λ', 'ω0 error %', 'training log10 MSE', 'test log10 MSE'],
      meanRows,
    ),
    '',
    `The two runs agree to a relative 1e-6 in λ, ω0 and the validation MSE at every logged epoch up to epoch ${agreeUntil
      .map((e, i) => `${e} (seed ${runs[i].seed})`)
      .join(
        ', ',
      )}; after that they drift apart, as two float64 programs that sum in different orders do on a ` +
      'non-convex objective (a loss spike of Adam comes at different epochs), so their end states are compared ' +
      'as two draws of the same training rule. ' +
      `Largest difference between the two implementations over the seeds: test log10 MSE ${maxTestDiff.toFixed(2)}, ` +
      `final λ ${(100 * maxLambdaDiff).toFixed(2)} %. ` +
      (allAbove
        ? 'In every run, in both implementations, the test log10 MSE stays above −6 (the issue requires ≤ −6 for R1).'
        : 'At least one run reaches a test log10 MSE ≤ −6 (the issue requires ≤ −6 for R1).'),
    'The seconds are wall time of each program on a shared 2-core machine, not a benchmark (see `npm run bench:peers` for those).',
    '',
    ...traceTables.flat(),
  ].join('\n');
  return {
    metrics: {
      settings: {
        width: s.width,
        lr: s.lr,
        epochs: s.epochs,
        step: DT / s.substeps,
        seeds: runs.map((r) => r.seed),
      },
      greybox: summary('greybox'),
      torch: summary('torch'),
      max_abs_diff_test_log10_mse: maxTestDiff,
      max_rel_diff_lambda: maxLambdaDiff,
      agree_1e6_until_epoch: agreeUntil,
      all_above_minus6: allAbove,
    },
    page,
  };
}
