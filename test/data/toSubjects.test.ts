import { describe, expect, it } from 'vitest';
import { readLongCsv } from '../../src/data/long.js';
import { readNonmem } from '../../src/data/nonmem.js';
import { formatProblem } from '../../src/data/problems.js';
import { toSubjects } from '../../src/data/toSubjects.js';
import { readWideCsv } from '../../src/data/wide.js';
import { parseModel } from '../../src/expr/parse.js';
import { HybridModel } from '../../src/hybrid/hybridModel.js';
import { pkOneCompartmentModel } from '../../src/models/pkOneCompartment.js';
import { fixture, problemsOf } from './support.js';

const PKPD = `
model pkpd
param ka = 1.2 in [0, inf] scale log
param k = 0.2 in [0, inf] scale log
covariate WT
covariate AGE = 40
input u interp linear
state depot = 0
state central = 0
d/dt depot = -ka * depot
d/dt central = ka * depot - k * central * 70 / WT + u
dose oral -> depot bolus
dose iv -> central infusion
obs conc = central ~ normal(0.1)
obs effect = 2 * central ~ normal(1)
obs depotAmount = depot ~ normal(1)
`;
const pkpd = parseModel(PKPD);
const long = () => readLongCsv(fixture('long.csv'), 'long.csv', { covariates: ['WT'], comment: '#' });

/** Adds an input column to the long fixture's subjects. */
const withInput = () => {
  const ds = long();
  return {
    ...ds,
    inputNames: ['u'],
    subjects: ds.subjects.map((s) => ({
      ...s,
      inputs: { u: { times: [0], values: [0], interpolation: 'step' as const } },
    })),
  };
};

describe('toSubjects', () => {
  it('lays out observations in the model order, NaN where missing, and reports absent observables', () => {
    const { subjects, absentObservables, notes } = toSubjects(withInput(), pkpd);
    expect(absentObservables).toEqual(['depotAmount']);
    expect(notes).toContain(
      'observable depotAmount of model pkpd has no values in long.csv; its column is all NaN',
    );
    expect(notes).toContain(
      "input u is read as step but model pkpd declares it linear; the model's interpolation is used",
    );
    const s1 = subjects[0];
    expect([...s1.times]).toEqual([0.5, 1, 2]);
    expect([...s1.observations]).toEqual([
      1.92,
      12,
      Number.NaN,
      2.61,
      Number.NaN,
      Number.NaN,
      2.85,
      Number.NaN,
      Number.NaN,
    ]);
    expect(s1.doses).toEqual([{ time: 0, route: 'oral', amount: 100 }]);
    expect(s1.covariates).toEqual({ WT: 70 });
    expect(subjects[2].doses).toEqual([{ time: 0, route: 'iv', rate: 40, duration: 2 }]);
    expect(s1.inputs?.u.interpolation).toBe('linear');
  });

  it('maps NONMEM compartments to routes of the dose kind and simulates the doses', () => {
    const model = pkOneCompartmentModel();
    const ds = readNonmem(fixture('nonmem.csv'), 'nonmem.csv');
    const { subjects } = toSubjects(ds, model, { unusedData: 'note' });
    expect(subjects[0].doses).toEqual([0, 12, 24].map((time) => ({ time, route: 'oral', amount: 100 })));
    expect(subjects[1].doses).toEqual([{ time: 0, route: 'iv', rate: 50, duration: 1 }]);
    const hm = new HybridModel(model);
    const [p1, p2] = hm.predict(hm.init(), subjects);
    // Subject 1 at t = 26 has had the third dose (t = 24): higher than 26 h after one dose could give.
    const single = hm.predict(hm.init(), [{ ...subjects[0], doses: subjects[0].doses?.slice(0, 1) }])[0];
    expect(single.observables[0]).toBeGreaterThan(1); // the dose at t = 0 is given
    expect(p1.observables[2]).toBeGreaterThan(2 * single.observables[2]);
    // Subject 2: one hour of a 50/h infusion, all of it in the central compartment.
    expect(p2.observables[0]).toBeGreaterThan(0);
    expect(p2.observables[0]).toBeLessThan(50 / 31.5);
  });

  it('says which data the model does not use, with unusedData: note', () => {
    const { notes } = toSubjects(readNonmem(fixture('nonmem.csv'), 'nonmem.csv'), pkOneCompartmentModel(), {
      unusedData: 'note',
    });
    expect(notes).toEqual([
      'DV of nonmem.csv is read as observable concentration of model pkOneCompartment',
      'covariate WT of the data is not in model pkOneCompartment; left out',
      'covariate SEX of the data is not in model pkOneCompartment; left out',
    ]);
  });

  it('matches names ignoring case when that is unambiguous', () => {
    const ds = readWideCsv('id,time,CONC,wt\n1,0,1,70\n1,1,2,70\n', 'w.csv', { covariates: ['wt'] });
    const m = parseModel(PKPD.replace('input u interp linear', '').replace(' + u', ''));
    const { subjects } = toSubjects(ds, m);
    expect(subjects[0].covariates).toEqual({ WT: 70 });
    expect([...subjects[0].observations.subarray(0, 3)]).toEqual([1, Number.NaN, Number.NaN]);
  });

  it('reports every mismatch with the model, located', () => {
    const text =
      'id,time,observable,value,amount,rate,route,WT,HEIGHT\n' +
      '1,0,,,100,,centrl,70,1.8\n' + // line 2: unknown compartment
      '1,1,cnoc,3,,,,70,1.8\n' + // line 3: unknown observable
      '1,1,conc,3,,,,70,1.8\n' +
      '2,0,,,100,10,oral,,1.7\n' + // line 5: an infusion into a bolus route; WT missing
      '2,1,conc,3,,,,,1.7\n' +
      '3,0,,,100,,9,80,1.6\n' + // line 7: compartment 9 of 2; and no observation
      '3,0,depotAmount,.,,,,80,1.6\n';
    const ds = readLongCsv(text, 'bad.csv', { covariates: ['WT', 'HEIGHT'] });
    const problems = problemsOf(() => toSubjects(withInputFor(ds), pkpd));
    expect(problems.map((p) => [p.kind, p.line, p.subject ?? p.column])).toEqual([
      ['unknownCovariate', 2, 'HEIGHT'],
      ['unknownCompartment', 2, '1'],
      ['unknownObservable', 3, '1'],
      ['doseKindMismatch', 5, '2'],
      ['unknownCovariate', 5, '2'],
      ['noObservations', 7, '3'],
    ]);
    const text2 = problems.map(formatProblem).join('\n');
    expect(text2).toContain('bad.csv line 2, column HEIGHT: covariate "HEIGHT" is not in model pkpd');
    expect(text2).toContain('dose target "centrl" is neither a dose route nor a state of model pkpd');
    expect(text2).toContain('did you mean "central"?');
    expect(text2).toContain('observable "cnoc" is not in model pkpd');
    expect(text2).toContain(
      'route oral of model pkpd takes a bolus but the data gives an infusion; use the state depot instead',
    );
    expect(text2).toContain(
      'bad.csv line 5, column WT, subject 2: covariate WT has no value for this subject',
    );
  });

  it('reports a numeric compartment out of range and missing inputs', () => {
    const ds = readLongCsv('id,time,observable,value,amount,route\n1,0,,,5,3\n1,1,conc,2,,\n', 'n.csv');
    const problems = problemsOf(() => toSubjects(ds, pkpd));
    expect(problems.map((p) => p.kind)).toEqual(['unknownCovariate', 'unknownInput', 'unknownCompartment']);
    expect(problems[2].message).toBe('compartment 3: model pkpd has 2 compartments (1 depot, 2 central)');
  });
});

function withInputFor<T extends { subjects: readonly object[] }>(ds: T): T {
  return {
    ...ds,
    inputNames: ['u'],
    subjects: ds.subjects.map((s) => ({
      ...s,
      inputs: { u: { times: [0], values: [0], interpolation: 'linear' as const } },
    })),
  };
}

describe('toSubjects with clashing names', () => {
  it('reports two data observables that match one model observable', () => {
    const ds = readLongCsv('id,time,observable,value\n1,0,conc,1\n1,1,CONC,2\n', 'l.csv');
    const problems = problemsOf(() => toSubjects(withInputFor(ds), pkpd));
    const clash = problems.find((p) => p.kind === 'unknownObservable');
    expect(clash?.message).toBe(
      'observables "conc" and "CONC" of the data both match conc of model pkpd; rename one',
    );
    expect(clash?.line).toBe(3);
  });
});
