// TEMPORARY until src/tensor/matmul.ts lands.
import { NDArray } from '../../tensor/ndarray.js';
import { broadcastShapes, broadcastStrides, sizeOf, stridesOf } from '../../tensor/shape.js';
export function matmul(a: NDArray, b: NDArray, transA = false, transB = false): NDArray {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transA ? a.shape[ra - 2] : a.shape[ra - 1];
  const k2 = transB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== k2) throw new RangeError(`matmul: mismatch ${a.shape} ${b.shape}`);
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'matmul');
  const nb = sizeOf(batch);
  const sa = broadcastStrides(a.shape.slice(0, -2), batch);
  const sb = broadcastStrides(b.shape.slice(0, -2), batch);
  const bs = stridesOf(batch);
  const o = new Float64Array(nb * m * n);
  for (let q = 0; q < nb; q++) {
    let oa = 0;
    let ob = 0;
    let r = q;
    for (let d = 0; d < batch.length; d++) {
      const i = Math.floor(r / bs[d]);
      r -= i * bs[d];
      oa += i * sa[d];
      ob += i * sb[d];
    }
    oa *= m * k;
    ob *= k * n;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = transA ? a.data[oa + p * m + i] : a.data[oa + i * k + p];
          const bv = transB ? b.data[ob + j * k + p] : b.data[ob + p * n + j];
          s += av * bv;
        }
        o[q * m * n + i * n + j] = s;
      }
  }
  return new NDArray(o, [...batch, m, n]);
}
