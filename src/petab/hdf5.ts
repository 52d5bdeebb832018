/**
 * PEtab SciML array files (HDF5) → float64 arrays by path, through h5wasm (HDF5 compiled to
 * WebAssembly; runs unchanged in Node and browsers). Bytes in, arrays out: opening files is
 * the caller's business (`src/node/`).
 *
 * Layout of an array file (PEtab SciML): `metadata/perm` ("row" | "column") or, in the
 * test-suite files, `metadata/pytorch_format` (1 = PyTorch indexing); `inputs/<inputId>/<"0"
 * | "cond1;cond2">` and `parameters/<netId>/<layerId>/<arrayId>`. Arrays are stored row-major
 * with PyTorch's axis order; column-major (Julia) files are rejected with that reason.
 */
import h5wasm from 'h5wasm';
import { NDArray } from '../tensor/ndarray.js';

/** Every numeric dataset of an HDF5 file by its path ("inputs/input0/0"), as float64. */
export interface Hdf5Arrays {
  /** Source name, for messages. */
  readonly file: string;
  readonly arrays: ReadonlyMap<string, NDArray>;
}

let counter = 0;

/**
 * Reads every numeric dataset of an HDF5 file given as bytes. Datasets under `metadata/`
 * are checked (row-major / PyTorch indexing) and left out of the result.
 *
 * @example
 * ```ts
 * const bytes = new Uint8Array(await (await fetch('net1_ps.hdf5')).arrayBuffer());
 * const { arrays } = await readHdf5Arrays(bytes, 'net1_ps.hdf5');
 * arrays.get('parameters/net1/layer1/weight')?.shape; // [5, 2]
 * ```
 */
export async function readHdf5Arrays(bytes: Uint8Array, file: string): Promise<Hdf5Arrays> {
  const { FS } = await h5wasm.ready;
  if (FS === null) throw new Error('readHdf5Arrays: h5wasm has no in-memory file system');
  const name = `/greybox_${++counter}.h5`;
  FS.writeFile(name, bytes);
  let f: InstanceType<typeof h5wasm.File> | null = null;
  try {
    try {
      f = new h5wasm.File(name, 'r');
    } catch (e) {
      throw new Error(`${file}: not a readable HDF5 file (${(e as Error).message})`);
    }
    const arrays = new Map<string, NDArray>();
    const walk = (group: InstanceType<typeof h5wasm.Group>, prefix: string) => {
      for (const key of group.keys()) {
        const path = prefix === '' ? key : `${prefix}/${key}`;
        const obj = group.get(key);
        if (obj instanceof h5wasm.Group) walk(obj, path);
        else if (obj instanceof h5wasm.Dataset) {
          if (path.startsWith('metadata/')) {
            checkMetadata(path, obj.value, file);
            continue;
          }
          const v = obj.value;
          const shape = obj.shape ?? [];
          if (!(ArrayBuffer.isView(v) || typeof v === 'number' || typeof v === 'bigint')) {
            throw new Error(
              `${file}: dataset "${path}" is not numeric (${obj.dtype}); array files hold float arrays`,
            );
          }
          const data =
            typeof v === 'number' || typeof v === 'bigint'
              ? Float64Array.of(Number(v))
              : Float64Array.from(v as ArrayLike<number>, Number);
          arrays.set(path, new NDArray(data, shape.slice()));
        }
      }
    };
    walk(f, '');
    return { file, arrays };
  } finally {
    f?.close();
    FS.unlink(name);
  }
}

function checkMetadata(path: string, value: unknown, file: string): void {
  const text = typeof value === 'string' ? value : Array.isArray(value) ? String(value[0]) : null;
  if (path === 'metadata/perm' && text !== null && text !== 'row') {
    throw new Error(
      `${file}: metadata/perm is "${text}": column-major (Julia-indexed) arrays are not supported; export the arrays with PyTorch (row-major) indexing`,
    );
  }
  if (path === 'metadata/pytorch_format') {
    const n = ArrayBuffer.isView(value) ? Number((value as Uint8Array)[0]) : Number(value);
    if (n === 0) {
      throw new Error(
        `${file}: metadata/pytorch_format is false: only PyTorch-indexed (row-major) arrays are supported`,
      );
    }
  }
}
