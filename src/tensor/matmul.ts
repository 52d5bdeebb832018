import { gemm, gemmBatch } from './gemm.js';
import { NDArray } from './ndarray.js';
import { allocate } from './pool.js';
import { broadcastShapes, broadcastStrides, formatShape, type Shape, sizeOf } from './shape.js';

/**
 * Matrix product of the last two axes, broadcast over the leading (batch) axes as in
 * `numpy.matmul`:
 *
 *   C[…, i, j] = Σ_p op(A)[…, i, p] · op(B)[…, p, j],
 *
 * where op(X) is X, or X with its last two axes swapped when the matching flag is set. With
 * op(A) of shape `[…a, m, k]` and op(B) of shape `[…b, k, n]`, the result has shape
 * `[…batch, m, n]`, where `batch` is the NumPy broadcast of the batch shapes `…a` and `…b` (a
 * batch extent 1, or a missing leading axis, repeats). Both operands must have rank ≥ 2
 * (promote a vector with `reshape([1, k])` or `reshape([k, 1])`).
 *
 * The work is done by {@link gemm}: one call when there is no batch, or when B is shared by
 * the whole batch (the batch is then folded into the rows of A), and one batched call
 * otherwise. NaN and ±Inf propagate as in the naive sum; an empty contracted axis (k = 0)
 * gives zeros.
 *
 * @param a - left operand, rank ≥ 2
 * @param b - right operand, rank ≥ 2
 * @param transA - use A with its last two axes swapped
 * @param transB - use B with its last two axes swapped
 * @returns a new array of shape `[…batch, m, n]`
 * @throws RangeError naming both shapes and the flags when an operand has rank < 2, the
 *   contracted extents differ, or the batch shapes do not broadcast.
 * @example
 * ```ts
 * const a = fromNested([[1, 2], [3, 4]]);
 * const b = fromNested([[5, 6], [7, 8]]);
 * matmul(a, b).toNested();             // [[19, 22], [43, 50]]
 * matmul(a, b, true).toNested();       // Aᵀ·B = [[26, 30], [38, 44]]
 * matmul(NDArray.zeros([10, 2, 3]), NDArray.zeros([3, 4])).shape; // [10, 2, 4]
 * ```
 */
export function matmul(a: NDArray, b: NDArray, transA = false, transB = false): NDArray {
  const describe = (): string =>
    `${formatShape(a.shape)} and ${formatShape(b.shape)} (transA = ${transA}, transB = ${transB})`;
  if (a.rank < 2 || b.rank < 2) {
    throw new RangeError(
      `matmul: cannot multiply ${describe()}: both operands need rank ≥ 2; ` +
        'reshape a vector of length k to [1, k] (row) or [k, 1] (column)',
    );
  }
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const m = transA ? ac : ar;
  const k = transA ? ar : ac;
  const kb = transB ? bc : br;
  const n = transB ? br : bc;
  if (k !== kb) {
    // Suggest the flag that would make the contracted extents agree, if one does.
    const hint =
      (transB ? br : bc) === k
        ? `; op(B) would fit with transB = ${!transB}`
        : (transA ? ac : ar) === kb
          ? `; op(A) would fit with transA = ${!transA}`
          : '';
    throw new RangeError(
      `matmul: cannot multiply ${describe()}: op(A) is ${m}×${k} and op(B) is ${kb}×${n}, ` +
        `and the contracted extents ${k} and ${kb} must be equal${hint}`,
    );
  }

  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  let batch: number[];
  try {
    batch = broadcastShapes(batchA, batchB, 'matmul');
  } catch (err) {
    throw new RangeError(
      `matmul: cannot multiply ${describe()}: the batch shapes ${formatShape(batchA)} and ` +
        `${formatShape(batchB)} do not broadcast (each pair of extents must be equal or one of them 1)`,
      { cause: err },
    );
  }
  const count = sizeOf(batch);
  // Every element is written below (gemm zeroes C itself when k = 0).
  const out = new NDArray(allocate(count * m * n), [...batch, m, n]);
  if (count === 0) return out;
  const sizeB = sizeOf(batchB);
  if (count === 1 || (sizeB === 1 && !transA && sizeOf(batchA) === count)) {
    // One product: either no batch, or a shared B with the batch stacked into A's rows.
    gemm(transA, transB, count * m, n, k, a.data, 0, b.data, 0, out.data, 0, false);
    return out;
  }
  const aOffsets = batchOffsets(batchA, batch, ar * ac);
  const bOffsets = batchOffsets(batchB, batch, br * bc);
  gemmBatch(transA, transB, m, n, k, count, a.data, aOffsets, b.data, bOffsets, out.data);
  return out;
}

/**
 * For each index of the broadcast batch shape `to`, in row-major order, the element offset
 * of the matching matrix in an operand whose batch shape is `from` and whose matrices hold
 * `matrixSize` elements.
 */
function batchOffsets(from: Shape, to: Shape, matrixSize: number): number[] {
  const strides = broadcastStrides(from, to);
  const count = sizeOf(to);
  const offsets = new Array<number>(count);
  const index = new Array<number>(to.length).fill(0);
  let offset = 0;
  for (let t = 0; t < count; t++) {
    offsets[t] = offset * matrixSize;
    // Odometer step over `to`, keeping `offset` = Σ index[d]·strides[d].
    for (let d = to.length - 1; d >= 0; d--) {
      index[d]++;
      offset += strides[d];
      if (index[d] < to[d]) break;
      offset -= strides[d] * to[d];
      index[d] = 0;
    }
  }
  return offsets;
}
