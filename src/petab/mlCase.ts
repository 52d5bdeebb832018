/**
 * The `ml_model_import` cases of the PEtab SciML test suite: a network YAML, and triples of
 * (input, parameter, expected output) array files named in `solutions.yaml`. The network is
 * evaluated at the given parameters and compared entrywise with the expected output. For
 * cases with dropout (`dropout: R` in the solutions), the expected output is the mean of R
 * training-mode passes, and greybox averages R training-mode passes of its own (seeded).
 */
import { parse as parseYaml } from 'yaml';
import { broadcastTo, reshape } from '../autodiff/ops/layout.js';
import { mean } from '../autodiff/ops/reduce.js';
import { Tensor } from '../autodiff/tensor.js';
import { rngKey } from '../tensor/random.js';
import { type Hdf5Arrays, readHdf5Arrays } from './hdf5.js';
import { GraphNet, parseNetYaml } from './net.js';
import { netParamsFromArrays } from './netArrays.js';

/** Reads the files of a problem or test case, by their paths relative to its folder. */
export interface FileSource {
  bytes(path: string): Promise<Uint8Array>;
  text(path: string): Promise<string>;
}

/** Absolute tolerance on network outputs (the suite's simulation tolerance). */
export const ML_OUTPUT_TOL = 1e-3;
/** Absolute tolerance for Monte Carlo means over dropout passes (the suite's generator uses 2e-2). */
export const ML_DROPOUT_TOL = 2e-2;

/** Result of one `ml_model_import` case: the largest absolute output error over its triples. */
export interface MlCaseResult {
  readonly outputErr: number;
  readonly tol: number;
  readonly pass: boolean;
}

function onlyArray(f: Hdf5Arrays, group: string): Tensor {
  const found = [...f.arrays].filter(([p]) => p.startsWith(`${group}/`));
  if (found.length !== 1)
    throw new Error(`${f.file}: expected exactly one dataset under ${group}/, found ${found.length}`);
  return new Tensor(found[0][1]);
}

/**
 * Runs one `ml_model_import` case.
 *
 * @example
 * ```ts
 * const r = await runMlModelCase(nodeFileSource(dir));
 * r.pass; // true
 * ```
 */
export async function runMlModelCase(files: FileSource): Promise<MlCaseResult> {
  const sol = parseYaml(await files.text('solutions.yaml')) as Record<string, unknown>;
  const netFile = String(sol.net_file ?? 'net.yaml');
  const net = new GraphNet(parseNetYaml(await files.text(netFile), netFile), netFile);
  const list = (k: string): string[] => (Array.isArray(sol[k]) ? (sol[k] as unknown[]).map(String) : []);
  const ps = list('net_ps');
  const outs = list('net_output');
  const inputLists: string[][] =
    net.nInputs > 1
      ? Array.from({ length: net.nInputs }, (_, i) => list(`net_input_arg${i}`))
      : [list('net_input')];
  const passes = typeof sol.dropout === 'number' ? sol.dropout : 0;
  const tol = passes > 0 ? ML_DROPOUT_TOL : ML_OUTPUT_TOL;
  let worst = 0;
  for (let k = 0; k < ps.length; k++) {
    const pf = await readHdf5Arrays(await files.bytes(ps[k]), ps[k]);
    const { params } = netParamsFromArrays(net, net.id, [pf]);
    const inputs: Tensor[] = [];
    for (const l of inputLists) {
      const f = await readHdf5Arrays(await files.bytes(l[k]), l[k]);
      inputs.push(onlyArray(f, 'inputs'));
    }
    const expected = onlyArray(await readHdf5Arrays(await files.bytes(outs[k]), outs[k]), 'outputs');
    let y: Tensor;
    if (passes > 0) {
      // R passes at once: a leading axis of R copies, one dropout draw each, then the mean.
      const stacked = inputs.map((x) => broadcastTo(reshape(x, [1, ...x.shape]), [passes, ...x.shape]));
      const [all] = net.apply(params, stacked, { training: true, key: rngKey(k + 1) });
      y = mean(all, [0]);
    } else {
      [y] = net.apply(params, inputs);
    }
    if (y.size !== expected.size)
      throw new Error(
        `${outs[k]}: greybox's output has shape [${y.shape.join(', ')}], the expected one [${expected.shape.join(', ')}]`,
      );
    for (let i = 0; i < y.size; i++) worst = Math.max(worst, Math.abs(y.data[i] - expected.data[i]));
    if (Number.isNaN(worst) || y.data.some((v) => Number.isNaN(v))) worst = Number.NaN;
  }
  return { outputErr: worst, tol, pass: worst <= tol };
}
