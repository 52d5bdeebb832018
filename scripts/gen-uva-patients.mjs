#!/usr/bin/env node
/**
 * Generates src/models/data/uvaPatients.ts — the 30 virtual patients of the UVA/Padova 2008
 * type-1-diabetes simulator as typed constants — from simglucose's `vpatient_params.csv`
 * (https://github.com/jxx123/simglucose, MIT license, Copyright (c) 2017 Jinyu Xie).
 *
 * Usage (from the repository root):
 *
 *   node scripts/gen-uva-patients.mjs [path/to/vpatient_params.csv]
 *
 * The default input is ../shared/data/simglucose/vpatient_params.csv. Numbers are copied as
 * the CSV spells them, so the constants parse to exactly the same doubles as the CSV. The
 * output is formatted with Biome. The script checks the CSV's shape (columns, finite numbers,
 * 30 distinct patients) and fails loudly if it changes.
 *
 * Dropped column: `patient_history` (0 for every patient; the script checks this).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const input = resolve(root, process.argv[2] ?? '../shared/data/simglucose/vpatient_params.csv');
const output = resolve(root, 'src/models/data/uvaPatients.ts');

/** Parameter columns in CSV order, with their meaning and units (UVA/Padova 2008 notation). */
const PARAMS = [
  ['BW', 'Body weight (kg).'],
  ['EGPb', 'Basal endogenous glucose production (mg/kg/min).'],
  ['Gb', 'Basal plasma glucose concentration (mg/dL).'],
  ['Ib', 'Basal plasma insulin concentration (pmol/L).'],
  ['kabs', 'Rate constant of intestinal absorption (1/min).'],
  ['kmax', 'Maximum rate constant of gastric emptying (1/min).'],
  ['kmin', 'Minimum rate constant of gastric emptying (1/min).'],
  ['b', 'Fraction of the meal at which gastric emptying has fallen halfway from kmax to kmin (dimensionless).'],
  ['d', 'Fraction of the meal at which gastric emptying has recovered halfway to kmax (dimensionless).'],
  ['Vg', 'Distribution volume of glucose (dL/kg).'],
  ['Vi', 'Distribution volume of insulin (L/kg).'],
  ['Ipb', 'Basal plasma insulin mass (pmol/kg).'],
  ['Vmx', 'Insulin-dependent part of the maximum glucose utilization rate (mg/kg/min per pmol/L).'],
  ['Km0', 'Michaelis–Menten constant of glucose utilization (mg/kg).'],
  ['k2', 'Rate constant from tissue to plasma glucose (1/min).'],
  ['k1', 'Rate constant from plasma to tissue glucose (1/min).'],
  ['p2u', 'Rate constant of insulin action on glucose utilization (1/min).'],
  ['m1', 'Rate constant from liver to plasma insulin (1/min).'],
  ['m5', 'Coefficient of hepatic insulin extraction (min·kg/pmol); unused by the 2008 equations in T1D.'],
  ['CL', 'Insulin clearance (L/min); unused by the equations.'],
  ['HEb', 'Basal hepatic insulin extraction (dimensionless); unused by the equations.'],
  ['m2', 'Rate constant from plasma to liver insulin (1/min).'],
  ['m4', 'Rate constant of peripheral insulin degradation (1/min).'],
  ['m30', 'Rate constant of hepatic insulin degradation (1/min).'],
  ['Ilb', 'Basal liver insulin mass (pmol/kg).'],
  ['ki', 'Rate constant of the delayed insulin action on glucose production (1/min).'],
  ['kp2', 'Liver glucose effectiveness (1/min).'],
  ['kp3', 'Insulin action on the liver (mg/kg/min per pmol/L).'],
  ['f', 'Fraction of intestinal absorption that appears in plasma (dimensionless).'],
  ['Gpb', 'Basal plasma glucose mass (mg/kg).'],
  ['ke1', 'Renal glomerular filtration rate (1/min).'],
  ['ke2', 'Renal threshold of glucose (mg/kg).'],
  ['Fsnc', 'Insulin-independent glucose utilization (mg/kg/min).'],
  ['Gtb', 'Basal tissue glucose mass (mg/kg).'],
  ['Vm0', 'Insulin-independent part of the maximum glucose utilization rate (mg/kg/min).'],
  ['Rdb', 'Basal rate of glucose disappearance (mg/kg/min); unused by the equations.'],
  ['PCRb', 'A basal rate of the simulator’s parameter derivation; unused by the equations.'],
  ['kd', 'Rate constant from the first to the second subcutaneous insulin compartment (1/min).'],
  ['ksc', 'Rate constant of subcutaneous glucose (1/min).'],
  ['ka1', 'Absorption rate constant of non-monomeric subcutaneous insulin (1/min).'],
  ['ka2', 'Absorption rate constant of monomeric subcutaneous insulin (1/min).'],
  ['dosekempt', 'Reference meal size of the gastric-emptying parameters (mg); unused by the equations.'],
  ['u2ss', 'Basal insulin infusion rate (pmol/kg/min); in U/min it is u2ss·BW/6000.'],
  ['isc1ss', 'Basal mass of non-monomeric subcutaneous insulin (pmol/kg).'],
  ['isc2ss', 'Basal mass of monomeric subcutaneous insulin (pmol/kg).'],
  ['kp1', 'Endogenous glucose production extrapolated to zero glucose and insulin (mg/kg/min).'],
];

const STATES = ['Qsto1', 'Qsto2', 'Qgut', 'Gp', 'Gt', 'Ip', 'X', 'I1', 'Id', 'Il', 'Isc1', 'Isc2', 'Gs'];

function fail(message) {
  console.error(`gen-uva-patients: ${message}`);
  process.exit(1);
}

const text = readFileSync(input, 'utf8');
if (text.includes('"')) fail(`${input}: quoted fields are not expected`);
const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
const header = lines[0].split(',').map((h) => h.replace(/\s+/g, ''));
const expected = [
  'Name',
  'i',
  ...STATES.map((_, k) => `x0_${k + 1}`),
  ...PARAMS.map(([name]) => name),
  'patient_history',
];
if (header.join(',') !== expected.join(',')) {
  fail(`unexpected columns in ${input}:\n  got      ${header.join(',')}\n  expected ${expected.join(',')}`);
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const patients = lines.slice(1).map((line, row) => {
  const cells = line.split(',');
  if (cells.length !== header.length) fail(`row ${row + 2}: ${cells.length} fields, expected ${header.length}`);
  const [name, ...rest] = cells;
  if (!/^(adolescent|adult|child)#\d{3}$/.test(name)) fail(`row ${row + 2}: unexpected patient name "${name}"`);
  for (const [k, cell] of rest.entries()) {
    if (!NUMBER.test(cell) || !Number.isFinite(Number(cell))) {
      fail(`row ${row + 2} (${name}), column ${header[k + 1]}: "${cell}" is not a finite number`);
    }
  }
  const field = (column) => cells[header.indexOf(column)];
  if (Number(field('patient_history')) !== 0) fail(`${name}: patient_history is not 0; keep the column`);
  if (!Number.isInteger(Number(field('i')))) fail(`${name}: column i is not an integer`);
  return {
    name,
    index: field('i'),
    x0: STATES.map((_, k) => field(`x0_${k + 1}`)),
    params: PARAMS.map(([p]) => [p, field(p)]),
  };
});
if (patients.length !== 30) fail(`expected 30 patients, found ${patients.length}`);
if (new Set(patients.map((p) => p.name)).size !== patients.length) fail('patient names are not distinct');

const out = [];
out.push(`/**
 * The 30 virtual patients of the UVA/Padova 2008 type-1-diabetes simulator (10 adolescents,
 * 10 adults, 10 children), as distributed with simglucose: \`vpatient_params.csv\` from
 * https://github.com/jxx123/simglucose, MIT license, Copyright (c) 2017 Jinyu Xie.
 *
 * GENERATED by scripts/gen-uva-patients.mjs from vpatient_params.csv — do not edit by hand.
 * Numbers are copied digit for digit. Dropped column: \`patient_history\` (0 for every patient).
 */

/** The names of the virtual patients. */
export type UvaPatientName =
${patients.map((p) => `  | '${p.name}'`).join('\n')};

/** The 13 states of the UVA/Padova 2008 model, in the order of the \`x0\` columns. */
export type UvaState = ${STATES.map((s) => `'${s}'`).join(' | ')};

/** The state order of \`x0\` (and of the model \`uvaPadovaModel()\`). */
export const uvaStateOrder: readonly UvaState[] = [${STATES.map((s) => `'${s}'`).join(', ')}];

/** One virtual patient: its basal initial state and its model parameters. */
export interface UvaPatient {
  /** The patient's name, e.g. \`adolescent#001\`. */
  readonly name: UvaPatientName;
  /**
   * Column \`i\`: the patient's index in the simulator's original population (for some
   * patients not the number in the name, e.g. adult#004 has i = 42).
   */
  readonly i: number;
  /**
   * Initial state (columns x0_1 … x0_13): the basal steady state under the basal insulin rate
   * \`u2ss\`, in the order Qsto1, Qsto2, Qgut (mg), Gp, Gt (mg/kg), Ip (pmol/kg), X (pmol/L),
   * I1, Id (pmol/L), Il, Isc1, Isc2 (pmol/kg), Gs (mg/kg).
   */
  readonly x0: readonly number[];
${PARAMS.map(([p, doc]) => `  /** ${doc} */\n  readonly ${p}: number;`).join('\n')}
}

/** The 30 virtual patients, in the CSV's order. */
export const uvaPatients: readonly UvaPatient[] = [
${patients
  .map(
    (p) =>
      `  {\n    name: '${p.name}',\n    i: ${p.index},\n    x0: [${p.x0.join(', ')}],\n${p.params
        .map(([k, v]) => `    ${k}: ${v},`)
        .join('\n')}\n  },`,
  )
  .join('\n')}
];
`);
writeFileSync(output, out.join(''));
execFileSync('npx', ['biome', 'format', '--write', output], { cwd: root, stdio: 'inherit' });
console.log(`gen-uva-patients: wrote ${patients.length} patients to ${output}`);
