/**
 * What the networks of a hybrid model contribute along its trajectories: each network call's
 * outputs evaluated at the predicted states — the "closure magnitude" a report plots to show
 * how much the learned part explains, and where.
 */
import { type Expr, evaluate, Op } from '../expr/ir.js';
import type { HybridModel, HybridParams, Prediction } from './hybridModel.js';
import type { Subject } from './subject.js';

/** The outputs of one network call along one trajectory. */
export interface ClosureTrace {
  /** Network name. */
  readonly net: string;
  /** Output names of the network. */
  readonly outputs: readonly string[];
  readonly times: Float64Array;
  /** values[k·nOut + o]: output o at times[k]. */
  readonly values: Float64Array;
}

/**
 * Evaluates every network call of the model at the states of `prediction` (from
 * {@link HybridModel.predict} for `subject`), with the fitted parameters and the subject's
 * covariates. Calls whose inputs use time-varying inputs or other networks' outputs are left
 * out (their inputs are not recorded along the trajectory), and so are gradient calls
 * (`grad(F.a, x)`: derivatives of a network, not its outputs).
 *
 * @example
 * ```ts
 * const [pred] = hm.predict(params, [subject]);
 * const traces = closureTraces(hm, params, subject, pred);
 * traces[0].values; // F's outputs at every predicted time
 * ```
 */
export function closureTraces(
  hm: HybridModel,
  params: HybridParams,
  subject: Subject,
  prediction: Prediction,
): ClosureTrace[] {
  const model = hm.model;
  const values = hm.parameterValues(params);
  const D = model.dim;
  const traces: ClosureTrace[] = [];
  hm.nets.setWeights(params.nets);
  model.calls.forEach((call, c) => {
    const net = model.nets[call.net];
    // Gradient calls (grad(F.a, x)) are derivatives of a network, not its outputs: left out.
    const usable =
      call.gradOf === undefined && call.inputs.every((e) => !usesOp(e, Op.Input) && !usesOp(e, Op.NetOut));
    if (!usable) return;
    const T = prediction.times.length;
    const nIn = call.inputs.length;
    const nOut = net.outputs.length;
    const x = new Float64Array(T * nIn);
    for (let k = 0; k < T; k++) {
      const t = prediction.times[k];
      const row = evaluate(call.inputs, (leaf) => {
        switch (leaf.op) {
          case Op.Time:
            return t;
          case Op.State:
            return prediction.states[k * D + leaf.index];
          case Op.Param:
            return values[model.params[leaf.index].name];
          case Op.Covariate: {
            const decl = model.covariates[leaf.index];
            return subject.covariates?.[decl.name] ?? decl.defaultValue ?? Number.NaN;
          }
          default:
            return Number.NaN;
        }
      });
      x.set(row, k * nIn);
    }
    const out = new Float64Array(T * nOut);
    hm.nets.forward(c, x, T, out);
    traces.push({ net: net.name, outputs: net.outputs, times: prediction.times, values: out });
  });
  return traces;
}

function usesOp(e: Expr, op: Op): boolean {
  if (e.op === op) return true;
  return e.args.some((a) => usesOp(a, op));
}
