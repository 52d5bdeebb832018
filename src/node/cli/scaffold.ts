/**
 * `greybox init DIR`: a small, complete project to start from — a one-compartment PK model
 * with a learned absorption closure, a config, simulated data in the long CSV format, and a
 * README explaining each file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseModel } from '../../expr/parse.js';
import { HybridModel } from '../../hybrid/hybridModel.js';
import { hybridOptions } from '../../hybrid/solverSpec.js';
import { normal, rngKey } from '../../tensor/random.js';

const MODEL = `model myModel "One-compartment oral PK with a learned absorption closure"

# Mechanistic part: first-order absorption and elimination.
param ka = 1.0 in [0, inf] scale log   # absorption rate constant (1/h)
param CL = 2.0 in [0, inf] scale log   # clearance (L/h)
param V  = 20  in [0, inf] scale log   # volume (L)
param sd = 0.2 in [0, inf] scale log   # log-scale residual SD

state gut     = 0   # mg
state central = 0   # mg

let conc = central / V

# Learned part: a factor exp(A.f) on the absorption rate, as a function of the amount in
# the gut (in units of 100 mg, so the network sees inputs of order one); exp keeps it positive.
net A(gut / 100) -> (f) : mlp(8, tanh)

let kabs = ka * exp(A.f)

d/dt gut     = -kabs * gut
d/dt central = kabs * gut - CL / V * central

dose oral -> gut bolus

obs concentration = conc ~ lognormal(sd)
`;

/** The truth the sample data are simulated from: absorption slows as the dose grows (saturable). */
const TRUTH = `model truth
param ka = 1.5
param CL = 2.5
param V  = 25
param Km = 60
state gut = 0
state central = 0
d/dt gut     = -ka * Km / (Km + gut) * gut
d/dt central = ka * Km / (Km + gut) * gut - CL / V * central
dose oral -> gut bolus
obs concentration = central / V ~ lognormal(0.1)
`;

const CONFIG = `# greybox project config: greybox fit reads this file.
name: my-project
model: model.gbx          # the model (greybox model language)
data:
  file: data.csv          # long format: id, time, observable, value (+ amount, route for doses)
  format: long
solver:
  method: tsit5           # explicit; use kvaerno5 or rodas5p for stiff models
  rtol: 1.0e-6
  atol: 1.0e-8
fit:
  loss: nll               # likelihood from the obs noise models; or mse
  epochs: 200
  seed: 0
  optimizer: { name: adam, lr: 0.02 }
  regularizers:
    - { kind: l2Weights, weight: 1.0e-4 }
  validation: { fraction: 0.25 }
  earlyStopping: { patience: 50 }
  polish: { iterations: 50 }   # L-BFGS after Adam
output: out               # model.json and report.html go here
`;

const README = `# my-project

A greybox project: a hybrid model (mechanistic equations plus a small neural network) fitted to
data from the command line.

- \`model.gbx\` — the model: a one-compartment PK model whose absorption rate is corrected by the
  network \`A\`. Edit it: parameters with bounds and scales, states, equations, doses, observables
  with their noise models.
- \`data.csv\` — simulated measurements (8 subjects, one oral dose each) in the long format:
  \`id, time, observable, value\`, with dose rows carrying \`amount\` and \`route\`.
- \`greybox.yaml\` — which model and data, the solver, and how to fit.

Next steps:

\`\`\`sh
greybox check-data data.csv --model model.gbx   # validate the data against the model
greybox fit                                      # writes out/model.json and out/report.html
greybox predict --fitted out/model.json --data data.csv
\`\`\`
`;

/**
 * Writes the project files into `dir` (created if needed) and returns their paths.
 *
 * @example
 * ```ts
 * scaffold('my-project'); // ['my-project/greybox.yaml', 'my-project/model.gbx', …]
 * ```
 */
export function scaffold(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const files: [string, string][] = [
    ['greybox.yaml', CONFIG],
    ['model.gbx', MODEL],
    ['data.csv', sampleData()],
    ['README.md', README],
  ];
  return files.map(([name, text]) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  });
}

/** 8 subjects, one oral dose of 50–400 mg, 9 samples each, 10 % log-normal noise; deterministic. */
function sampleData(): string {
  const truth = new HybridModel(
    parseModel(TRUTH),
    hybridOptions({ method: 'tsit5', rtol: 1e-9, atol: 1e-11 }),
  );
  const times = Float64Array.of(0.25, 0.5, 1, 2, 3, 4, 6, 8, 12);
  const amounts = [50, 100, 150, 200, 250, 300, 350, 400];
  const subjects = amounts.map((amount, i) => ({
    id: `s${i + 1}`,
    times,
    observations: new Float64Array(times.length).fill(Number.NaN),
    doses: [{ time: 0, route: 'oral', amount }],
  }));
  const pred = truth.predict(truth.init(), subjects);
  const eps = normal(rngKey(7), [amounts.length * times.length]).data;
  const rows = ['id,time,observable,value,amount,route'];
  subjects.forEach((s, b) => {
    rows.push(`${s.id},0,,,${amounts[b]},oral`);
    times.forEach((t, k) => {
      const y = pred[b].observables[k] * Math.exp(0.1 * eps[b * times.length + k]);
      rows.push(`${s.id},${t},concentration,${y.toPrecision(4)},,`);
    });
  });
  return `${rows.join('\n')}\n`;
}
