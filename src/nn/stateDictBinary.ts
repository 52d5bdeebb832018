/**
 * State dicts in a compact binary form: an ASCII JSON header with the names and shapes, then
 * every value as a little-endian float64, bit for bit (so −0, infinities and NaN payloads
 * survive).
 *
 * Layout, version 1 (all integers little-endian):
 *
 * | offset | bytes | content |
 * |---|---|---|
 * | 0 | 8 | magic `89 47 42 58 53 44 0D 0A` ("\x89GBXSD\r\n": the high byte and the CR LF catch 7-bit and newline-mangling transfers) |
 * | 8 | 4 | format version, uint32 (1) |
 * | 12 | 4 | header length H in bytes, uint32, a multiple of 8 |
 * | 16 | H | header: `{"tensors":[{"name":…,"shape":[…]},…]}` as JSON with every non-ASCII character escaped (`\uXXXX`), padded with spaces |
 * | 16 + H | 8·Σ sizes | the values of each tensor in header order, row-major, float64 |
 *
 * The payload starts on an 8-byte boundary. A file must be exactly 16 + H + 8·Σ sizes bytes
 * long. Only `Uint8Array` and `DataView` are used: it works the same in browsers and Node.
 */
import { NDArray } from '../tensor/ndarray.js';
import { sizeOf } from '../tensor/shape.js';
import { entriesOf, StateDictError, type StateDictLike, setEntry } from './stateDict.js';

/** The 8 magic bytes that open a binary state dict. */
export const STATE_DICT_MAGIC: readonly number[] = [0x89, 0x47, 0x42, 0x58, 0x53, 0x44, 0x0d, 0x0a];
/** The binary format version written by this library. */
export const STATE_DICT_BINARY_VERSION = 1;

const PREFIX = 16;

/** True on little-endian hosts (all current browsers and Node platforms), where bytes copy directly. */
const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/** JSON text with every character above U+007F written as a `\uXXXX` escape: pure ASCII. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u0080-\uffff]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * A state dict as bytes (see the module comment for the layout).
 *
 * @example
 * ```ts
 * const bytes = encodeStateDictBinary(stateDict(params)); // a Uint8Array
 * const params2 = loadStateDict(params, decodeStateDictBinary(bytes));
 * ```
 */
export function encodeStateDictBinary(dict: StateDictLike): Uint8Array {
  const entries = entriesOf(dict, 'encodeStateDictBinary');
  let header = asciiJson({ tensors: entries.map(([name, a]) => ({ name, shape: a.shape })) });
  header += ' '.repeat((8 - (header.length % 8)) % 8);
  let count = 0;
  for (const [, a] of entries) count += a.size;
  const bytes = new Uint8Array(PREFIX + header.length + 8 * count);
  const view = new DataView(bytes.buffer);
  bytes.set(STATE_DICT_MAGIC, 0);
  view.setUint32(8, STATE_DICT_BINARY_VERSION, true);
  view.setUint32(12, header.length, true);
  for (let i = 0; i < header.length; i++) bytes[PREFIX + i] = header.charCodeAt(i);
  let offset = PREFIX + header.length;
  for (const [, a] of entries) {
    const d = a.data;
    if (LITTLE_ENDIAN) bytes.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), offset);
    else for (let k = 0; k < d.length; k++) view.setFloat64(offset + 8 * k, d[k], true);
    offset += d.byteLength;
  }
  return bytes;
}

/**
 * Reads a binary state dict, validating the magic, the version, the header (valid ASCII JSON
 * with a non-empty, unique name and a shape of non-negative integers per entry) and the exact
 * length of the payload.
 *
 * @throws StateDictError saying what is wrong and at which byte or entry.
 * @example
 * ```ts
 * const dict = decodeStateDictBinary(bytes);
 * Object.keys(dict); // ['0.weight', '0.bias', …]
 * ```
 */
export function decodeStateDictBinary(bytes: Uint8Array | ArrayBuffer): Record<string, NDArray> {
  const where = 'decodeStateDictBinary';
  const fail = (problem: string): never => {
    throw new StateDictError(where, [problem]);
  };
  const b = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  if (!(b instanceof Uint8Array)) return fail('expected a Uint8Array or an ArrayBuffer');
  if (b.length < PREFIX)
    return fail(`${b.length} bytes is too short for a state dict (the fixed prefix is ${PREFIX} bytes)`);
  for (let i = 0; i < STATE_DICT_MAGIC.length; i++) {
    if (b[i] !== STATE_DICT_MAGIC[i]) {
      fail(
        `not a greybox binary state dict: byte ${i} is 0x${b[i].toString(16).padStart(2, '0')}, the magic expects ` +
          `0x${STATE_DICT_MAGIC[i].toString(16).padStart(2, '0')} (JSON state dicts are read with decodeStateDictJson)`,
      );
    }
  }
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const version = view.getUint32(8, true);
  if (version !== STATE_DICT_BINARY_VERSION) {
    fail(
      `format version ${version} is not supported (this library reads version ${STATE_DICT_BINARY_VERSION})`,
    );
  }
  const headerLength = view.getUint32(12, true);
  if (headerLength % 8 !== 0 || PREFIX + headerLength > b.length) {
    fail(`the header length ${headerLength} is not a multiple of 8 or runs past the end (${b.length} bytes)`);
  }
  let text = '';
  for (let i = 0; i < headerLength; i++) {
    const c = b[PREFIX + i];
    if (c > 0x7f) fail(`the header holds a non-ASCII byte at offset ${PREFIX + i}`);
    text += String.fromCharCode(c);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(`the header is not valid JSON (${(e as Error).message})`);
  }
  const tensors = (header as { tensors?: unknown } | null)?.tensors;
  if (!Array.isArray(tensors)) return fail('the header must be {"tensors": [{"name": …, "shape": […]}, …]}');
  const names = new Set<string>();
  const entries: [string, number[]][] = [];
  let available = (b.length - PREFIX - headerLength) / 8;
  let count = 0;
  for (const [i, entry] of (tensors as unknown[]).entries()) {
    const { name, shape } = (entry ?? {}) as { name?: unknown; shape?: unknown };
    if (typeof name !== 'string' || name === '')
      return fail(`header entry ${i}: name must be a non-empty string`);
    if (names.has(name)) fail(`header entry ${i} ("${name}"): the name appears twice`);
    names.add(name);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      return fail(`header entry ${i} ("${name}"): shape must be an array of non-negative integers`);
    }
    const n = sizeOf(shape);
    if (n > available) {
      fail(
        `the payload ends inside "${name}" (header entry ${i}): the file is truncated or the header is wrong`,
      );
    }
    available -= n;
    count += n;
    entries.push([name, shape.slice()]);
  }
  const expected = PREFIX + headerLength + 8 * count;
  if (b.length !== expected) {
    fail(
      `the file has ${b.length} bytes but the header describes ${expected}: trailing bytes or a wrong header`,
    );
  }
  const out: Record<string, NDArray> = {};
  let offset = PREFIX + headerLength;
  for (const [name, shape] of entries) {
    const n = sizeOf(shape);
    const data = new Float64Array(n);
    if (LITTLE_ENDIAN) new Uint8Array(data.buffer).set(b.subarray(offset, offset + 8 * n));
    else for (let k = 0; k < n; k++) data[k] = view.getFloat64(offset + 8 * k, true);
    offset += 8 * n;
    setEntry(out, name, new NDArray(data, shape));
  }
  return out;
}
