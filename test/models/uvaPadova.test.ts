/**
 * UVA/Padova 2008 specifics: the state order and the dependency graph of R6's equations, the
 * patient table against simglucose's CSV, each patient's basal steady state, the clamps and the
 * D̄ = 0 rule.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../src/expr/compile.js';
import { dependencyGraph } from '../../src/expr/graph.js';
import {
  uvaDefaultPatient,
  uvaPadovaModel,
  uvaPadovaPatientValues,
  uvaPatient,
  uvaPatientParamNames,
  uvaPatients,
  uvaStateOrder,
} from '../../src/models/index.js';
import { magnitude, references, total } from './reference.js';

const model = uvaPadovaModel();
const compiled = compileModel(model);
const D = model.dim;

/** RHS of the compiled model at one point. */
function rhs(
  y: Float64Array,
  p: Float64Array,
  u: { CHO: number; insulin: number; Dbar: number },
  bw: number,
) {
  const out = new Float64Array(D);
  const named: Readonly<Record<string, number>> = u;
  const uu = Float64Array.from(model.inputs, (x) => named[x.name]);
  compiled.rhs(new Float64Array(1), y, p, uu, new Float64Array([bw]), out, 1);
  return out;
}

describe('UVA/Padova 2008 model', () => {
  it('has the 13 states in the CSV order, inputs CHO, insulin, Dbar and the covariate BW', () => {
    expect(model.states.map((s) => s.name)).toEqual([
      'Qsto1',
      'Qsto2',
      'Qgut',
      'Gp',
      'Gt',
      'Ip',
      'X',
      'I1',
      'Id',
      'Il',
      'Isc1',
      'Isc2',
      'Gs',
    ]);
    expect(model.states.map((s) => s.name)).toEqual(uvaStateOrder);
    expect(model.inputs.map((u) => [u.name, u.interpolation])).toEqual([
      ['CHO', 'step'],
      ['insulin', 'step'],
      ['Dbar', 'step'],
    ]);
    expect(model.covariates.map((c) => c.name)).toEqual(['BW']);
    expect(model.observables.map((o) => o.name)).toEqual(['CGM']);
  });

  it("defaults are adolescent#001's values, digit for digit", () => {
    const patient = uvaPatient(uvaDefaultPatient);
    for (const name of uvaPatientParamNames) {
      expect(model.params[model.paramIndex(name)].value).toBe(patient[name]);
    }
    expect(model.covariates[0].defaultValue).toBe(patient.BW);
  });

  it('the dependency graph is the one of R6’s equations', () => {
    // Edges u → v when u appears in dv/dt, read off REPRODUCTIONS.md R6 by hand (kgut depends
    // on Qsto = Qsto1 + Qsto2 and on D̄; EGP on Gp and Id; Ra on Qgut; E on Gp; I = Ip/Vi).
    const stateEdges: [string, string][] = [
      ['Qsto1', 'Qsto1'],
      ['Qsto1', 'Qsto2'],
      ['Qsto2', 'Qsto2'],
      ['Qsto1', 'Qgut'],
      ['Qsto2', 'Qgut'],
      ['Qgut', 'Qgut'],
      ['Qgut', 'Gp'],
      ['Gp', 'Gp'],
      ['Gt', 'Gp'],
      ['Id', 'Gp'],
      ['Gp', 'Gt'],
      ['Gt', 'Gt'],
      ['X', 'Gt'],
      ['Ip', 'Ip'],
      ['Il', 'Ip'],
      ['Isc1', 'Ip'],
      ['Isc2', 'Ip'],
      ['Ip', 'X'],
      ['X', 'X'],
      ['Ip', 'I1'],
      ['I1', 'I1'],
      ['I1', 'Id'],
      ['Id', 'Id'],
      ['Ip', 'Il'],
      ['Il', 'Il'],
      ['Isc1', 'Isc1'],
      ['Isc1', 'Isc2'],
      ['Isc2', 'Isc2'],
      ['Gp', 'Gs'],
      ['Gs', 'Gs'],
    ];
    const inputEdges: [string, string][] = [
      ['CHO', 'Qsto1'],
      ['Dbar', 'Qsto2'],
      ['Dbar', 'Qgut'],
      ['insulin', 'Isc1'],
    ];
    const key = (kind: string, from: string, to: string) => `${kind}:${from}→${to}`;
    const expected = [
      ...stateEdges.map(([u, v]) => key('state', u, v)),
      ...inputEdges.map(([u, v]) => key('input', u, v)),
    ].sort();
    const g = dependencyGraph(model);
    expect(g.edges.map((e) => key(e.kind, e.from, e.to)).sort()).toEqual(expected);
    expect(g.states).toEqual(uvaStateOrder);
    expect(g.inputs).toEqual(['CHO', 'insulin', 'Dbar']);
    for (const e of g.edges) expect(e.terms.length).toBeGreaterThan(0);
  });

  it.each(uvaPatients.map((p) => p.name))(
    '%s: initial state is the CSV x0, a steady state under basal insulin',
    (name) => {
      const patient = uvaPatient(name);
      const v = uvaPadovaPatientValues(name, model);
      const y0 = new Float64Array(D);
      compiled.initial(v.params, v.covariates, y0, 1);
      expect(Array.from(y0)).toEqual(patient.x0);
      expect(Array.from(v.initialState)).toEqual(patient.x0);
      // At x0, with the basal rate u2ss, no meal and D̄ = 0, every derivative vanishes up to the
      // rounding of the CSV's 12 significant digits.
      const f = rhs(y0, v.params, { CHO: 0, insulin: patient.u2ss, Dbar: 0 }, patient.BW);
      const named = Object.fromEntries(model.params.map((p, k) => [p.name, v.params[k]]));
      const y = Object.fromEntries(model.states.map((s, i) => [s.name, y0[i]]));
      const terms = references.uvaPadova.rhs(
        0,
        y,
        named,
        { CHO: 0, insulin: patient.u2ss, Dbar: 0 },
        { BW: patient.BW },
      );
      model.states.forEach((s, i) => {
        expect(Math.abs(f[i])).toBeLessThanOrEqual(1e-10 * Math.max(1, magnitude(terms[s.name])));
      });
    },
  );

  it('clamps: a negative clamped state has zero derivative; unclamped ones do not', () => {
    const v = uvaPadovaPatientValues('adult#003', model);
    const y = Float64Array.from(v.initialState);
    // A meal on the way and a high insulin rate so that every derivative is non-zero.
    y[0] = 2e4;
    y[1] = 1e4;
    y[2] = 5e3;
    const u = { CHO: 1000, insulin: 50, Dbar: 6e4 };
    const base = rhs(y, v.params, u, v.covariates[0]);
    for (let i = 0; i < D; i++) {
      const neg = y.slice();
      neg[i] = -1e-3;
      const f = rhs(neg, v.params, u, v.covariates[0]);
      const clamped = ['Gp', 'Gt', 'Ip', 'Il', 'Isc1', 'Isc2', 'Gs'].includes(model.states[i].name);
      if (clamped) expect(f[i]).toBe(0);
      else expect(f[i]).not.toBe(0);
    }
    expect(base.every((x) => Number.isFinite(x))).toBe(true);
  });

  it('kgut = kmax when D̄ = 0, and every derivative stays finite there', () => {
    const v = uvaPadovaPatientValues('child#005', model);
    const kmax = v.params[model.paramIndex('kmax')];
    const y = Float64Array.from(v.initialState);
    for (const qsto2 of [0, 1, 3e4]) {
      y[1] = qsto2;
      const f = rhs(y, v.params, { CHO: 0, insulin: 1, Dbar: 0 }, v.covariates[0]);
      // Qsto2' = kmax·Qsto1 − kgut·Qsto2 with Qsto1 = 0.
      expect(Math.abs(f[1] + kmax * qsto2)).toBe(0);
      const J = new Float64Array(D * D);
      compiled.jac(new Float64Array(1), y, v.params, new Float64Array([0, 1, 0]), v.covariates, J, 1);
      expect(J.every((x) => Number.isFinite(x))).toBe(true);
      expect(J[1 * D + 1]).toBe(-kmax);
      expect(J[1 * D + 0]).toBe(kmax); // no dependence of kgut on Qsto1 when D̄ = 0
    }
  });

  it('gastric emptying slows while the stomach holds between d·D̄ and b·D̄', () => {
    const v = uvaPadovaPatientValues(uvaDefaultPatient, model);
    const p = Object.fromEntries(model.params.map((q, k) => [q.name, v.params[k]]));
    const y = Float64Array.from(v.initialState);
    const Dbar = 5e4;
    const kgutAt = (qsto2: number) => {
      y[1] = qsto2;
      return -rhs(y, v.params, { CHO: 0, insulin: 0, Dbar }, v.covariates[0])[1] / qsto2;
    };
    const mid = kgutAt(((p.b + p.d) / 2) * Dbar);
    expect(mid).toBeLessThan(p.kmin + 0.1 * (p.kmax - p.kmin));
    expect(kgutAt(Dbar)).toBeGreaterThan(p.kmax - 0.1 * (p.kmax - p.kmin));
    expect(kgutAt(1e-3 * Dbar)).toBeGreaterThan(p.kmax - 0.1 * (p.kmax - p.kmin));
    const terms = references.uvaPadova.rhs(
      0,
      Object.fromEntries(model.states.map((s, i) => [s.name, y[i]])),
      p,
      { CHO: 0, insulin: 0, Dbar },
      { BW: v.covariates[0] },
    );
    expect(total(terms.Qsto2)).toBeCloseTo(
      rhs(y, v.params, { CHO: 0, insulin: 0, Dbar }, v.covariates[0])[1],
      9,
    );
  });

  it('uvaPadovaPatientValues lays out a patient by name', () => {
    const v = uvaPadovaPatientValues('adult#007', model);
    expect(v.covariates[0]).toBe(91.229);
    expect(v.params[model.paramIndex('kabs')]).toBe(uvaPatient('adult#007').kabs);
    expect(v.params[model.paramIndex('cgm_sd')]).toBe(12);
  });
});

describe('UVA/Padova patient table', () => {
  it('has 30 distinct patients: 10 adolescents, 10 adults, 10 children', () => {
    expect(new Set(uvaPatients.map((p) => p.name)).size).toBe(30);
    for (const group of ['adolescent', 'adult', 'child']) {
      expect(uvaPatients.filter((p) => p.name.startsWith(`${group}#`)).length).toBe(10);
    }
    for (const p of uvaPatients) expect(p.x0.length).toBe(13);
  });

  const csv = fileURLToPath(new URL('../../../shared/data/simglucose/vpatient_params.csv', import.meta.url));
  it.skipIf(!existsSync(csv))('equals simglucose’s vpatient_params.csv number for number', () => {
    const lines = readFileSync(csv, 'utf8').trim().split(/\r?\n/);
    const header = lines[0].split(',').map((h) => h.replace(/\s+/g, ''));
    expect(lines.length - 1).toBe(uvaPatients.length);
    lines.slice(1).forEach((line, r) => {
      const cells = line.split(',');
      const patient = uvaPatients[r];
      expect(patient.name).toBe(cells[0]);
      header.forEach((h, k) => {
        if (h === 'Name' || h === 'patient_history') return;
        const want = Number(cells[k]);
        if (h.startsWith('x0_')) expect(patient.x0[Number(h.slice(3)) - 1]).toBe(want);
        else expect(Object.entries(patient).find(([key]) => key === h)?.[1]).toBe(want);
      });
    });
  });
});
