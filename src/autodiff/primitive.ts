/**
 * The primitives of the autodiff: every recorded operation is one of these, and the VJP
 * rule table in `rules.ts` must give a rule for each (a missing rule is a compile error).
 *
 * Linear primitives come in adjoint pairs (Slice ↔ SliceAdjoint, Gather ↔ ScatterAdd,
 * BroadcastTo ↔ SumTo, Pad ↔ PadAdjoint, Unfold ↔ Fold), so that the VJP of each is the
 * other and gradients stay differentiable to any order.
 */
import type { PadMode } from '../tensor/layout.js';
import type { NDArray } from '../tensor/ndarray.js';
import type { Shape } from '../tensor/shape.js';
import type { FusedActivation } from './ops/linalg.js';
import type { Tensor } from './tensor.js';

export enum Primitive {
  Identity = 'identity',
  // Unary elementwise
  Neg = 'neg',
  Abs = 'abs',
  Sign = 'sign',
  Exp = 'exp',
  Expm1 = 'expm1',
  Log = 'log',
  Log1p = 'log1p',
  Sqrt = 'sqrt',
  Square = 'square',
  Reciprocal = 'reciprocal',
  Sin = 'sin',
  Cos = 'cos',
  Tan = 'tan',
  Tanh = 'tanh',
  Sigmoid = 'sigmoid',
  Softplus = 'softplus',
  Relu = 'relu',
  Gelu = 'gelu',
  Silu = 'silu',
  Elu = 'elu',
  Erf = 'erf',
  // Binary elementwise (broadcasting)
  Add = 'add',
  Sub = 'sub',
  Mul = 'mul',
  Div = 'div',
  Pow = 'pow',
  Maximum = 'maximum',
  Minimum = 'minimum',
  Where = 'where',
  // Reductions
  Sum = 'sum',
  Max = 'max',
  Min = 'min',
  // Layout
  Reshape = 'reshape',
  BroadcastTo = 'broadcastTo',
  SumTo = 'sumTo',
  Permute = 'permute',
  Slice = 'slice',
  SliceAdjoint = 'sliceAdjoint',
  Concat = 'concat',
  Gather = 'gather',
  ScatterAdd = 'scatterAdd',
  Pad = 'pad',
  PadAdjoint = 'padAdjoint',
  Unfold1d = 'unfold1d',
  Fold1d = 'fold1d',
  Unfold2d = 'unfold2d',
  Fold2d = 'fold2d',
  // Linear algebra
  Matmul = 'matmul',
  Linear = 'linear',
  // Fused derivative kernels (first derivatives of hot activations, themselves differentiable)
  TanhGrad = 'tanhGrad',
  // User-defined function with its own VJP
  Custom = 'custom',
}

/** The signature of a user-supplied VJP: cotangents of the inputs (null = zero). */
export type CustomVjp = (g: Tensor, out: Tensor, inputs: readonly Tensor[]) => readonly (Tensor | null)[];

type NoParams = Record<string, never>;
interface AxesParams {
  readonly axes: readonly number[];
  readonly keepdims: boolean;
}
interface SliceParams {
  readonly inputShape: Shape;
  readonly starts: readonly number[];
  readonly stops: readonly number[];
  readonly steps: readonly number[];
}
interface Unfold1dParams {
  readonly inputShape: Shape;
  readonly kernel: number;
  readonly stride: number;
  readonly dilation: number;
}
interface Unfold2dParams {
  readonly inputShape: Shape;
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly dilation: readonly [number, number];
}

/** The static parameters each primitive carries besides its tensor inputs. */
export interface PrimitiveParams {
  [Primitive.Identity]: NoParams;
  [Primitive.Neg]: NoParams;
  [Primitive.Abs]: NoParams;
  [Primitive.Sign]: NoParams;
  [Primitive.Exp]: NoParams;
  [Primitive.Expm1]: NoParams;
  [Primitive.Log]: NoParams;
  [Primitive.Log1p]: NoParams;
  [Primitive.Sqrt]: NoParams;
  [Primitive.Square]: NoParams;
  [Primitive.Reciprocal]: NoParams;
  [Primitive.Sin]: NoParams;
  [Primitive.Cos]: NoParams;
  [Primitive.Tan]: NoParams;
  [Primitive.Tanh]: NoParams;
  [Primitive.Sigmoid]: NoParams;
  [Primitive.Softplus]: NoParams;
  [Primitive.Relu]: NoParams;
  [Primitive.Gelu]: NoParams;
  [Primitive.Silu]: NoParams;
  [Primitive.Elu]: { readonly alpha: number };
  [Primitive.Erf]: NoParams;
  [Primitive.Add]: NoParams;
  [Primitive.Sub]: NoParams;
  [Primitive.Mul]: NoParams;
  [Primitive.Div]: NoParams;
  [Primitive.Pow]: NoParams;
  [Primitive.Maximum]: NoParams;
  [Primitive.Minimum]: NoParams;
  [Primitive.Where]: { readonly cond: NDArray };
  [Primitive.Sum]: AxesParams;
  [Primitive.Max]: AxesParams;
  [Primitive.Min]: AxesParams;
  [Primitive.Reshape]: { readonly inputShape: Shape };
  [Primitive.BroadcastTo]: { readonly inputShape: Shape };
  [Primitive.SumTo]: { readonly inputShape: Shape };
  [Primitive.Permute]: { readonly perm: readonly number[] };
  [Primitive.Slice]: SliceParams;
  [Primitive.SliceAdjoint]: SliceParams;
  [Primitive.Concat]: { readonly axis: number };
  [Primitive.Gather]: { readonly indices: Int32Array; readonly axis: number; readonly inputShape: Shape };
  [Primitive.ScatterAdd]: { readonly indices: Int32Array; readonly axis: number; readonly inputShape: Shape };
  [Primitive.Pad]: {
    readonly pads: readonly (readonly [number, number])[];
    readonly mode: PadMode;
    readonly inputShape: Shape;
  };
  [Primitive.PadAdjoint]: {
    readonly pads: readonly (readonly [number, number])[];
    readonly mode: PadMode;
    readonly inputShape: Shape;
  };
  [Primitive.Unfold1d]: Unfold1dParams;
  [Primitive.Fold1d]: Unfold1dParams;
  [Primitive.Unfold2d]: Unfold2dParams;
  [Primitive.Fold2d]: Unfold2dParams;
  [Primitive.Matmul]: { readonly transA: boolean; readonly transB: boolean };
  [Primitive.Linear]: { readonly activation: FusedActivation };
  [Primitive.TanhGrad]: NoParams;
  [Primitive.Custom]: { readonly name: string; readonly vjp: CustomVjp };
}
