/**
 * The backward walker: the one place that knows about topological order, accumulation of
 * repeated uses, unbroadcasting and shape checks. Rules (`rules.ts`) stay one line each.
 */
import { formatShape, shapesEqual } from '../tensor/shape.js';
import { add } from './ops/binary.js';
import { sumTo } from './ops/layout.js';
import type { Primitive } from './primitive.js';
import { vjpRules } from './rules.js';
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
  if (leads.has(output)) cot.set(output, seed);
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
    for (let i = 0; i < inputs.length; i++) {
      const x = inputs[i];
      const gi = grads[i];
      if (gi === null || gi === undefined || !leads.has(x)) continue;
      const fitted = fitToInput(gi, x, node, i);
      const prev = cot.get(x);
      cot.set(x, prev === undefined ? fitted : add(prev, fitted));
    }
  }
  return targets.map((t) => cot.get(t) ?? null);
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
