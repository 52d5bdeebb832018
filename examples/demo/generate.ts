/**
 * Regenerates examples/demo/data.csv, the bundled data of `greybox demo`: 24 subjects on
 * 100 mg oral doses every 12 h (four doses), observed 14 times over 72 h, simulated from
 * truth.gbx (linear plus Michaelis–Menten elimination) with 10 % log-normal noise. Body
 * weights are uniform in [50, 100] kg. Deterministic: the same file every run.
 *
 * Run: npx tsx examples/demo/generate.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseModel } from '../../src/expr/parse.js';
import { HybridModel } from '../../src/hybrid/hybridModel.js';
import { hybridOptions } from '../../src/hybrid/solverSpec.js';
import { normal, rngKey, splitKey, uniform } from '../../src/tensor/random.js';
import { DEMO_DATA_HEADER, demoDesign } from './design.js';

const here = new URL('.', import.meta.url);
const truth = parseModel(readFileSync(new URL('truth.gbx', here), 'utf8'), { file: 'truth.gbx' });
const hm = new HybridModel(truth, hybridOptions({ method: 'tsit5', rtol: 1e-10, atol: 1e-12 }));
const [kWeight, kNoise] = splitKey(rngKey(2026), 2);
const subjects = demoDesign(uniform(kWeight, [24], 50, 100).data.map((w) => Math.round(w)));
const predictions = hm.predict(hm.init(), subjects);
const sd = hm.parameterValues(hm.init()).sd;
const eps = normal(kNoise, [subjects.length * subjects[0].times.length]).data;

const rows: string[] = [DEMO_DATA_HEADER];
subjects.forEach((s, b) => {
  const events: { time: number; line: string }[] = [];
  for (const d of s.doses ?? []) {
    if ('amount' in d)
      events.push({ time: d.time, line: `${s.id},${d.time},.,${d.amount},1,1,1,${s.covariates?.WT}` });
  }
  s.times.forEach((t, k) => {
    const conc = predictions[b].observables[k];
    const y = conc * Math.exp(sd * eps[b * s.times.length + k]);
    events.push({ time: t, line: `${s.id},${t},${y.toPrecision(4)},.,0,2,0,${s.covariates?.WT}` });
  });
  events.sort((x, y) => x.time - y.time);
  for (const e of events) rows.push(e.line);
});
writeFileSync(new URL('data.csv', here), `${rows.join('\n')}\n`);
console.log(`wrote ${rows.length - 1} rows for ${subjects.length} subjects`);
