/**
 * The backward walker: the one place that knows about topological order, accumulation of
 * repeated uses, unbroadcasting and shape checks. Rules (`rules.ts`) stay one line each.
 */
import { recycle } from '../tensor/pool.js';
import { formatShape, shapesEqual } from '../tensor/shape.js';
import { add } from './ops/binary.js';
import { sumTo } from './ops/layout.js';
import { Primitive } from './primitive.js';
import { vjpRules } from './rules.js';
import { isTracing } from './tape.js';
import type { TapeNode, Tensor } from './tensor.js';

function applyRule<P extends Primitive>(
  node: TapeNode<P>,
  g: Tensor,
  out: Tensor,
  needs: readonly boolean[],
): readonly (Tensor | null)[] {
  const rule = vjpRules[node.prim];
  return rule(g, out, node.inputs, node.params, needs);
}

/**
 * Propagates the cotangent `seed` of `output` back to `targets` and returns their cotangents
 * (null where a target does not influence the output).
 *
 * Only nodes on a path from a target to the output are visited; targets stop the walk, so a
 * nested transformation's leaves are not walked through. Whether the rules' operations are
 * recorded (for higher derivatives) is decided by the tape's tracing state.
 */
export function backward(output: Tensor, seed: Tensor, targets: readonly Tensor[]): (Tensor | null)[] {
  if (!shapesEqual(seed.shape, output.shape)) {
    throw new RangeError(
      `vjp: cotangent of shape ${formatShape(seed.shape)} for an output of shape ${formatShape(output.shape)}`,
    );
  }
  const targetSet = new Set<Tensor>(targets);
  // 1. Collect the traced tensors reachable from the output, not walking past targets.
  const reached: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: Tensor[] = [output];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (seen.has(t) || t.node === null) continue;
    seen.add(t);
    reached.push(t);
    if (targetSet.has(t)) continue;
    const inputs = t.node.inputs;
    for (let i = 0; i < inputs.length; i++)
      if (inputs[i].node !== null && !seen.has(inputs[i])) stack.push(inputs[i]);
  }
  // 2. Ids increase from inputs to outputs: ascending id is a topological order. Keep the
  //    tensors that lead to a target.
  reached.sort((a, b) => a.node!.id - b.node!.id);
  const leads = new Set<Tensor>();
  for (const t of reached) {
    if (targetSet.has(t)) {
      leads.add(t);
      continue;
    }
    for (const x of t.node!.inputs) {
      if (leads.has(x)) {
        leads.add(t);
        break;
      }
    }
  }
  // 3. Walk outputs before inputs, accumulating cotangents.
  const cot = new Map<Tensor, Tensor>();
  const ledger = new BufferLedger(!isTracing());
  if (leads.has(output)) {
    cot.set(output, seed);
    ledger.hold(seed);
  }
  const replaced: Tensor[] = [];
  const combined: Tensor[] = [];
  for (let k = reached.length - 1; k >= 0; k--) {
    const t = reached[k];
    if (targetSet.has(t)) continue;
    const g = cot.get(t);
    if (g === undefined) continue;
    cot.delete(t);
    const node = t.node!;
    const inputs = node.inputs;
    const needs = inputs.map((x) => leads.has(x));
    const grads = applyRule(node, g, t, needs);
    replaced.length = 0;
    combined.length = 0;
    for (let i = 0; i < inputs.length; i++) {
      const x = inputs[i];
      const gi = grads[i];
      if (gi === null || gi === undefined || !leads.has(x)) continue;
      if (node.prim !== Primitive.Custom) ledger.adopt(gi, g, t, inputs);
      const fitted = fitToInput(gi, x, node, i);
      if (fitted !== gi) ledger.adoptFresh(fitted);
      const prev = cot.get(x);
      if (prev === undefined) {
        cot.set(x, fitted);
        ledger.hold(fitted);
      } else {
        const total = add(prev, fitted);
        ledger.adoptFresh(total);
        cot.set(x, total);
        ledger.hold(total);
        replaced.push(prev);
        combined.push(fitted);
      }
    }
    // Only now, with every result of this node stored, let go of what died.
    ledger.release(g);
    for (const r of replaced) ledger.release(r);
    for (const c of combined) ledger.recycleIfUnheld(c);
  }
  return targets.map((t) => cot.get(t) ?? null);
}

/**
 * Which cotangent buffers this walk created, and how many stored cotangents share each, so
 * that a buffer goes back to the pool the moment its last holder is consumed. A rule's
 * result counts as created by the walk only when its buffer is none of the buffers the rule
 * was given (a rule may pass `g` through, or reshape it, sharing its buffer); user-defined
 * rules are never trusted this way. Inactive while a graph is being recorded, because
 * recorded nodes may hold any tensor.
 */
class BufferLedger {
  private readonly owned = new Set<Float64Array>();
  private readonly holders = new Map<Float64Array, number>();

  constructor(private readonly active: boolean) {}

  adopt(result: Tensor, g: Tensor, out: Tensor, inputs: readonly Tensor[]): void {
    if (!this.active) return;
    const d = result.value.data;
    if (d === g.value.data || d === out.value.data) return;
    for (let i = 0; i < inputs.length; i++) if (inputs[i].value.data === d) return;
    this.owned.add(d);
  }

  /** A result the walker itself just computed (a sum or an unbroadcast). */
  adoptFresh(result: Tensor): void {
    if (this.active) this.owned.add(result.value.data);
  }

  hold(t: Tensor): void {
    if (!this.active) return;
    const d = t.value.data;
    this.holders.set(d, (this.holders.get(d) ?? 0) + 1);
  }

  release(t: Tensor): void {
    if (!this.active) return;
    const d = t.value.data;
    const n = (this.holders.get(d) ?? 0) - 1;
    if (n > 0) this.holders.set(d, n);
    else {
      this.holders.delete(d);
      this.recycleIfUnheld(t);
    }
  }

  recycleIfUnheld(t: Tensor): void {
    if (!this.active) return;
    const d = t.value.data;
    if (this.owned.has(d) && !this.holders.has(d)) {
      this.owned.delete(d);
      recycle(d);
    }
  }
}

/** Sums a broadcast cotangent down to the input's shape; anything else is a rule bug. */
function fitToInput(g: Tensor, x: Tensor, node: TapeNode, index: number): Tensor {
  if (shapesEqual(g.shape, x.shape)) return g;
  try {
    return sumTo(g, x.shape);
  } catch {
    throw new RangeError(
      `backward of ${node.prim}: cotangent of shape ${formatShape(g.shape)} does not fit input ${index} ` +
        `of shape ${formatShape(x.shape)}`,
    );
  }
}
