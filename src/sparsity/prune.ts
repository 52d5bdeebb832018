/**
 * Pruning a trained MNODE: which edges survive (a non-zero edge weight and a first layer that
 * still reads the edge), state selection (nodes with no remaining path to an observed node go),
 * restriction of the parameters to the pruned graph (a warm start for the refit), and the
 * effective number of non-zero parameters (ENP).
 */
import { type Tensor, tensor } from '../autodiff/tensor.js';
import { treeLeaves } from '../autodiff/tree.js';
import type { MlpParams } from '../nn/mlp.js';
import { edgeKey } from './draw.js';
import { pruneGraph, type StructureGraph } from './graph.js';
import { type Mnode, type MnodeParams, mnode } from './mnode.js';

/**
 * The keys (`from→to`) of the edges that a trained MNODE still uses: edge weight ≠ 0 (when the
 * model has edge weights) and at least one non-zero entry in the first-layer columns that read
 * the edge (exact zeros come from the proximal steps).
 *
 * @example
 * ```ts
 * activeEdges(model, params).has('X→Gp+Gt');
 * ```
 */
export function activeEdges(model: Mnode, params: MnodeParams): Set<string> {
  const out = new Set<string>();
  model.nodes.forEach((node, v) => {
    const w1 = (params.f[v]['0'] as { weight: Tensor }).weight;
    const [rows, cols] = w1.shape;
    node.incoming.forEach((e, j) => {
      if (model.options.edgeWeights && params.w[v].data[j] === 0) return;
      let any = false;
      for (let c = 0; c < cols && !any; c++) {
        if (node.columnEdge[c] !== j) continue;
        for (let r = 0; r < rows; r++) {
          if (w1.data[r * cols + c] !== 0) {
            any = true;
            break;
          }
        }
      }
      if (any) out.add(edgeKey(e));
    });
  });
  return out;
}

/** A pruned model with its parameters. */
export interface PrunedMnode {
  readonly graph: StructureGraph;
  readonly model: Mnode;
  readonly params: MnodeParams;
}

/**
 * Restricts `params` of `from` to the model `to`, whose graph is a subgraph of `from`'s (same
 * node names for the kept nodes, a subset of their edges): first-layer columns of kept edges,
 * the other layers unchanged, kept edge weights, the encoder unchanged and the rows of its head
 * that belong to kept states.
 *
 * @example
 * ```ts
 * const warm = restrictParams(full, params, prunedModel);
 * ```
 */
export function restrictParams(from: Mnode, params: MnodeParams, to: Mnode): MnodeParams {
  const where = 'restrictParams';
  const oldIndex = new Map(from.nodes.map((n, i) => [n.name, i]));
  const H = from.options.encoderHidden;
  const headRows: number[] = [];
  const w: Tensor[] = [];
  const f: MlpParams[] = [];
  for (const node of to.nodes) {
    const v = oldIndex.get(node.name);
    if (v === undefined) throw new Error(`${where}: node "${node.name}" is not in the source model`);
    const old = from.nodes[v];
    for (let c = 0; c < node.members.length; c++) headRows.push(old.offset + c);
    const oldEdge = new Map(old.incoming.map((e, j) => [edgeKey(e), j]));
    const js = node.incoming.map((e) => {
      const j = oldEdge.get(edgeKey(e));
      if (j === undefined) throw new Error(`${where}: edge ${edgeKey(e)} is not in the source model`);
      return j;
    });
    w.push(
      tensor(
        Float64Array.from(js, (j) => params.w[v].data[j]),
        [js.length],
      ),
    );
    const oldW1 = params.f[v]['0'] as { weight: Tensor; bias: Tensor };
    const [rows, oldCols] = oldW1.weight.shape;
    const cols: number[] = [];
    for (const j of js) for (let c = 0; c < oldCols; c++) if (old.columnEdge[c] === j) cols.push(c);
    const newCols = Math.max(cols.length, 1);
    const data = new Float64Array(rows * newCols);
    for (let r = 0; r < rows; r++)
      cols.forEach((c, k) => {
        data[r * newCols + k] = oldW1.weight.data[r * oldCols + c];
      });
    f.push({ ...params.f[v], '0': { weight: tensor(data, [rows, newCols]), bias: oldW1.bias } });
  }
  const head = params.enc.head;
  const hw = new Float64Array(headRows.length * H);
  headRows.forEach((r, k) => {
    hw.set(head.weight.data.subarray(r * H, (r + 1) * H), k * H);
  });
  return {
    w,
    f,
    enc: {
      lstm: params.enc.lstm,
      head: {
        weight: tensor(hw, [headRows.length, H]),
        bias: tensor(
          Float64Array.from(headRows, (r) => head.bias.data[r]),
          [headRows.length],
        ),
      },
    },
  };
}

/**
 * Prunes a trained MNODE: removes the inactive edges ({@link activeEdges}), then the nodes with no
 * remaining path to an observed node (state selection), and restricts the parameters.
 *
 * @example
 * ```ts
 * const { graph, model: small, params: warm } = pruneMnode(model, params);
 * ```
 */
export function pruneMnode(model: Mnode, params: MnodeParams): PrunedMnode {
  const active = activeEdges(model, params);
  const graph = pruneGraph(model.graph, (e) => active.has(edgeKey(e)));
  const small = mnode(graph, model.observed, model.options);
  return { graph, model: small, params: restrictParams(model, params, small) };
}

/** The effective number of non-zero parameters, in parts. */
export interface Enp {
  /** Non-zero edge weights and node-network parameters. */
  readonly dynamics: number;
  /** Non-zero parameters of the encoder (LSTM and head). */
  readonly encoder: number;
  /** dynamics + encoder. */
  readonly total: number;
}

function nonZero(leaves: readonly Tensor[]): number {
  let n = 0;
  for (const t of leaves) for (let i = 0; i < t.size; i++) if (t.data[i] !== 0) n++;
  return n;
}

/**
 * ENP, the effective number of non-zero parameters of a forecaster: after pruning
 * ({@link pruneMnode}: removed edges, removed states, so parameters that cannot affect the
 * forecast are not counted), the number of parameters that are not exactly zero — edge weights
 * (when learnable), node networks, and the encoder (LSTM and the head rows of the kept states).
 *
 * @example
 * ```ts
 * mnodeEnp(model, params).total;
 * ```
 */
export function mnodeEnp(model: Mnode, params: MnodeParams): Enp {
  const p = pruneMnode(model, params);
  const dynamics =
    (model.options.edgeWeights ? nonZero(p.params.w) : 0) + nonZero(p.params.f.flatMap((f) => treeLeaves(f)));
  const encoder =
    nonZero(treeLeaves(p.params.enc.lstm)) + nonZero([p.params.enc.head.weight, p.params.enc.head.bias]);
  return { dynamics, encoder, total: dynamics + encoder };
}
