/**
 * Network parameters from PEtab SciML array files: `parameters/<netId>/<layerId>/<arrayId>`
 * datasets → {@link NetParams}, checked against the network's layers.
 */
import { Tensor } from '../autodiff/tensor.js';
import { NDArray } from '../tensor/ndarray.js';
import { type RngKey, rngKey } from '../tensor/random.js';
import type { Hdf5Arrays } from './hdf5.js';
import { type GraphNet, NetImportError, type NetParams } from './net.js';

/**
 * The parameter arrays of network `netId` found in `files` (later files override earlier
 * ones), on top of PyTorch's default initialization (from `key`) for arrays no file holds.
 * Shapes are checked against the layers; an array for an unknown layer is an error.
 *
 * @example
 * ```ts
 * const params = netParamsFromArrays(net, 'net1', [await readHdf5Arrays(bytes, 'net1_ps.hdf5')]);
 * ```
 */
export function netParamsFromArrays(
  net: GraphNet,
  netId: string,
  files: readonly Hdf5Arrays[],
  key: RngKey = rngKey(0),
): { params: NetParams; fromFiles: Set<string> } {
  const shapes = net.parameterShapes;
  const base = net.init(key);
  const out: Record<string, Record<string, Tensor>> = {};
  for (const [layer, arrays] of Object.entries(base)) out[layer] = { ...arrays };
  const fromFiles = new Set<string>();
  const prefix = `parameters/${netId}/`;
  for (const f of files) {
    for (const [path, arr] of f.arrays) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length).split('/');
      if (rest.length !== 2)
        throw new NetImportError(`${f.file}: "${path}" should be parameters/${netId}/<layerId>/<arrayId>`);
      const [layer, name] = rest;
      const s = shapes.get(layer);
      if (s === undefined)
        throw new NetImportError(
          `${f.file}: "${path}" names layer "${layer}", which network ${netId} does not have (layers: ${[...shapes.keys()].join(', ')})`,
        );
      const want = s[name];
      if (want === undefined)
        throw new NetImportError(
          `${f.file}: "${path}": layer "${layer}" has no array "${name}" (it has ${Object.keys(s).join(', ') || 'no parameters'})`,
        );
      if (!sameShape(arr, want))
        throw new NetImportError(
          `${f.file}: "${path}" has shape [${arr.shape.join(', ')}], layer "${layer}" needs [${want.join(', ')}]`,
        );
      out[layer][name] = new Tensor(new NDArray(arr.data, want.slice()));
      fromFiles.add(`${layer}.${name}`);
    }
  }
  return { params: out, fromFiles };
}

function sameShape(a: NDArray, want: readonly number[]): boolean {
  // A scalar-sized array stored as shape [] or [1] fits a [1] parameter.
  if (a.shape.length === want.length) return a.shape.every((n, i) => n === want[i]);
  return a.size === 1 && want.reduce((p, q) => p * q, 1) === 1;
}
