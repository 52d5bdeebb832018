/**
 * State dict files (Node only): the JSON form for `.json` paths, the binary form otherwise.
 * The encodings themselves are isomorphic and live in `src/nn/`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { StateDictError, type StateDictLike } from '../nn/stateDict.js';
import { decodeStateDictBinary, encodeStateDictBinary } from '../nn/stateDictBinary.js';
import { decodeStateDictJson, encodeStateDictJson } from '../nn/stateDictJson.js';
import type { NDArray } from '../tensor/ndarray.js';

const isJson = (path: string): boolean => extname(path).toLowerCase() === '.json';

/**
 * Writes a state dict to `path`: JSON (indented) when the name ends in `.json`, else the binary
 * form (e.g. `weights.gbxw`).
 *
 * @example
 * ```ts
 * await saveStateDictFile('weights.gbxw', stateDict(params));
 * ```
 */
export async function saveStateDictFile(path: string, dict: StateDictLike): Promise<void> {
  if (isJson(path)) await writeFile(path, `${encodeStateDictJson(dict, 1)}\n`, 'utf8');
  else await writeFile(path, encodeStateDictBinary(dict));
}

/**
 * Reads a state dict written by {@link saveStateDictFile} (the form chosen by the extension).
 *
 * @throws StateDictError naming the file when its content is not a valid state dict.
 * @example
 * ```ts
 * const params = loadStateDict(net.init(rngKey(0)), await loadStateDictFile('weights.gbxw'));
 * ```
 */
export async function loadStateDictFile(path: string): Promise<Record<string, NDArray>> {
  try {
    if (isJson(path)) return decodeStateDictJson(await readFile(path, 'utf8'));
    const buffer = await readFile(path);
    return decodeStateDictBinary(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength));
  } catch (e) {
    if (e instanceof StateDictError) throw new StateDictError(path, e.problems);
    throw e;
  }
}
