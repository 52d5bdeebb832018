/**
 * Training progress on a terminal: a progress bar redrawn in place (loss, validation loss,
 * ETA) when the stream is a TTY, plain lines otherwise (logs, CI, pipes).
 */
import type { TrainEvent } from '../hybrid/trainer.js';

/** The part of a writable stream the reporter uses (process.stderr fits). */
export interface ProgressStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Options of {@link progressReporter}. */
export interface ProgressOptions {
  /** Force the bar (true) or plain lines (false); default: the stream's `isTTY`. */
  readonly bar?: boolean;
  /** Plain mode: print every n-th epoch (default: about 20 lines per run), plus the last. */
  readonly every?: number;
}

/** 1.234e-3 style for losses, with a fixed number of significant digits. */
function num(v: number | null): string {
  if (v === null) return '—';
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e4) ? v.toExponential(3) : v.toPrecision(4);
}

/** m:ss or h:mm:ss. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/**
 * One line describing an epoch: counters, loss, validation loss, learning-rate factor,
 * horizon and ETA; with `barWidth` > 0, a bar of that many cells first.
 *
 * @example
 * ```ts
 * formatEpoch({ kind: 'epoch', epoch: 5, epochs: 10, loss: 0.5, dataLoss: 0.5, valLoss: null,
 *   lrScale: 1, horizon: null, elapsedMs: 5000, etaMs: 5000 }, 10);
 * // 'epoch 5/10 [#####.....]  50% loss 0.5000 ETA 0:05'
 * ```
 */
export function formatEpoch(e: Extract<TrainEvent, { kind: 'epoch' }>, barWidth = 0): string {
  const frac = e.epochs > 0 ? e.epoch / e.epochs : 1;
  const parts = [`epoch ${e.epoch}/${e.epochs}`];
  if (barWidth > 0) {
    const filled = Math.round(frac * barWidth);
    parts.push(
      `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${String(Math.round(frac * 100)).padStart(3)}%`,
    );
  }
  parts.push(`loss ${num(e.loss)}`);
  if (e.valLoss !== null) parts.push(`val ${num(e.valLoss)}`);
  if (e.lrScale !== 1) parts.push(`lr×${num(e.lrScale)}`);
  if (e.horizon !== null) parts.push(`horizon ${num(e.horizon)}`);
  parts.push(e.epoch < e.epochs ? `ETA ${formatDuration(e.etaMs)}` : `took ${formatDuration(e.elapsedMs)}`);
  return parts.join(' ');
}

/** A line for the other events. */
export function formatIncident(e: Exclude<TrainEvent, { kind: 'epoch' }>): string {
  switch (e.kind) {
    case 'nonFinite':
      return `epoch ${e.epoch}, step ${e.step}: ${e.reason}; rolled back, learning rate ×${num(e.lrScale)}`;
    case 'earlyStop':
      return `early stop at epoch ${e.epoch}: no improvement since epoch ${e.bestEpoch} (restored)`;
    case 'diverged':
      return `stopped at epoch ${e.epoch}: ${e.reason}`;
  }
}

/**
 * A callback for `train`'s `onEvent` that shows progress on `stream`.
 *
 * @example
 * ```ts
 * train(hm, params, subjects, { optimizer, epochs: 500, onEvent: progressReporter(process.stderr) });
 * ```
 */
export function progressReporter(
  stream: ProgressStream,
  options: ProgressOptions = {},
): (e: TrainEvent) => void {
  const bar = options.bar ?? stream.isTTY === true;
  let open = false; // a bar line is on screen without a newline
  return (e) => {
    if (e.kind !== 'epoch') {
      stream.write(`${open ? '\n' : ''}${formatIncident(e)}\n`);
      open = false;
      return;
    }
    if (bar) {
      const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - 70));
      const last = e.epoch >= e.epochs;
      stream.write(`\r${formatEpoch(e, width)}\x1b[K${last ? '\n' : ''}`);
      open = !last;
      return;
    }
    const every = options.every ?? Math.max(1, Math.round(e.epochs / 20));
    if (e.epoch % every === 0 || e.epoch === e.epochs || e.epoch === 1) stream.write(`${formatEpoch(e)}\n`);
  };
}
