import { describe, expect, it } from 'vitest';
import { describeDataset } from '../../src/data/dataset.js';
import { readLongCsv } from '../../src/data/long.js';
import { readNonmem } from '../../src/data/nonmem.js';
import { detectFormat, readDataset } from '../../src/data/read.js';
import { readWideCsv } from '../../src/data/wide.js';
import { writeLongCsv, writeWideCsv } from '../../src/data/write.js';
import { pkOneCompartmentModel } from '../../src/models/pkOneCompartment.js';
import { content, fixture } from './support.js';

describe('long CSV', () => {
  const ds = readLongCsv(fixture('long.csv'), 'long.csv', { covariates: ['WT'], comment: '#' });

  it('reads subjects, observations in time order, doses and covariates', () => {
    expect(ds.observables).toEqual(['conc', 'effect']);
    expect(ds.covariateNames).toEqual(['WT']);
    expect(ds.subjects.map((s) => s.id)).toEqual(['1', '2', '3']);
    const [s1, s2, s3] = ds.subjects;
    expect(s1.observations.map((o) => [o.time, o.observable, o.value, o.line])).toEqual([
      [0.5, 'conc', 1.92, 4],
      [0.5, 'effect', 12, 5],
      [1, 'conc', 2.61, 7],
      [2, 'conc', 2.85, 6],
    ]);
    expect(s1.doses).toEqual([{ kind: 'bolus', time: 0, target: 'oral', amount: 100, line: 3 }]);
    expect(s1.covariates).toEqual({ WT: 70 });
    expect(s2.doses).toEqual([{ kind: 'infusion', time: 0, target: 'iv', rate: 25, duration: 2, line: 9 }]);
    expect(s3.doses).toEqual([{ kind: 'infusion', time: 0, target: 'iv', rate: 40, duration: 2, line: 14 }]);
    expect(s3.line).toBe(13);
  });

  it('counts ignored rows by reason and notes the sorting', () => {
    expect(ds.source).toMatchObject({ file: 'long.csv', format: 'long', rows: 14 });
    expect(ds.source.ignored).toEqual({ count: 3, reasons: { comment: 1, 'missing value': 2 } });
    expect(ds.source.notes).toEqual(['rows of subject 1 were not in time order; sorted']);
    expect(describeDataset(ds)).toContain('ignored 3 rows (comment: 1; missing value: 2)');
  });

  it('takes configurable column names, ignoring case', () => {
    const text = 'Subject;T;Name;Y\nA;0;x;1\nA;1;x;2\n';
    const got = readLongCsv(text, 'a.csv', {
      delimiter: ';',
      columns: { id: 'SUBJECT', time: 't', observable: 'name', value: 'y' },
    });
    expect(got.subjects[0].observations.map((o) => o.value)).toEqual([1, 2]);
  });

  it('reads rows of declared inputs as input series', () => {
    const text = 'id,time,observable,value\n1,0,meal,0\n1,0,g,100\n1,10,meal,50\n1,25,meal,0\n1,30,g,140\n';
    const got = readLongCsv(text, 'meals.csv', { inputs: { meal: 'step' } });
    expect(got.observables).toEqual(['g']);
    expect(got.inputNames).toEqual(['meal']);
    expect(got.subjects[0].inputs.meal).toEqual({
      times: [0, 10, 25],
      values: [0, 50, 0],
      interpolation: 'step',
    });
  });
});

describe('wide CSV', () => {
  it('reads the same dataset as the long file', () => {
    const wide = readWideCsv(fixture('wide.csv'), 'wide.csv', { covariates: ['WT'] });
    const long = readLongCsv(fixture('long.csv'), 'long.csv', { covariates: ['WT'], comment: '#' });
    expect(content(wide)).toEqual(content(long));
    expect(wide.source.ignored.count).toBe(0);
  });

  it('takes every other column as an observable unless told which', () => {
    const text = 'id,time,prey,predator,site\nA,0,10,5,1\nA,1,12,.,1\n';
    expect(readWideCsv(text, 'lv.csv', { covariates: ['site'] }).observables).toEqual(['prey', 'predator']);
    const chosen = readWideCsv(text, 'lv.csv', { observables: ['prey'] });
    expect(chosen.observables).toEqual(['prey']);
    expect(chosen.source.notes).toEqual(['columns predator, site not used']);
  });

  it('reads input columns as series with their interpolation', () => {
    const text = 'id,time,glucose,insulin\n1,0,100,1\n1,5,.,2\n1,10,120,.\n';
    const got = readWideCsv(text, 'g.csv', { inputs: { insulin: 'linear' } });
    expect(got.subjects[0].inputs.insulin).toEqual({
      times: [0, 5],
      values: [1, 2],
      interpolation: 'linear',
    });
    expect(got.subjects[0].observations.map((o) => o.time)).toEqual([0, 10]);
  });
});

describe('round trips', () => {
  const long = readLongCsv(fixture('long.csv'), 'long.csv', { covariates: ['WT'], comment: '#' });

  it('wide → long → wide gives the same dataset', () => {
    const wide = readWideCsv(fixture('wide.csv'), 'wide.csv', { covariates: ['WT'] });
    const asLong = readLongCsv(writeLongCsv(wide), 'w.csv', {
      covariates: ['WT'],
      observables: wide.observables,
    });
    expect(content(asLong)).toEqual(content(wide));
    const asWide = readWideCsv(writeWideCsv(asLong), 'w2.csv', { covariates: ['WT'] });
    expect(content(asWide)).toEqual(content(wide));
  });

  it('keeps inputs, quoted ids and awkward numbers', () => {
    const text =
      'id,time,observable,value,amount,route,group\n' +
      '"a,1",0,y,0.1,,,3\n"a,1",0,u,1e-300,,,3\n"a,1",0.30000000000000004,y,-2.5e10,,,3\n' +
      '"a,1",1,u,7,,,3\n"a,1",2,,,5,"x ""q""",3\n';
    const ds = readLongCsv(text, 'a.csv', { inputs: { u: 'linear' }, covariates: ['group'] });
    const opts = { inputs: { u: 'linear' as const }, covariates: ['group'] };
    expect(content(readLongCsv(writeLongCsv(ds), 'b.csv', opts))).toEqual(content(ds));
    expect(content(readWideCsv(writeWideCsv(ds), 'c.csv', opts))).toEqual(content(ds));
    expect(ds.subjects[0].doses[0]).toMatchObject({ target: 'x "q"', amount: 5 });
  });

  it('NONMEM → long keeps observations, doses and covariates', () => {
    const nm = readNonmem(fixture('nonmem.csv'), 'nonmem.csv', { model: pkOneCompartmentModel() });
    const back = readLongCsv(writeLongCsv(nm), 'nm.csv', { covariates: nm.covariateNames });
    expect(content(back)).toEqual(content(nm));
    expect(long.subjects.length).toBe(3);
  });
});

describe('NONMEM', () => {
  const model = pkOneCompartmentModel();

  it('reads boluses with ADDL/II, infusions, covariates, and skips MDV 1 and EVID 2 rows', () => {
    const ds = readNonmem(fixture('nonmem.csv'), 'nonmem.csv', { model });
    expect(ds.observables).toEqual(['concentration']);
    expect(ds.covariateNames).toEqual(['WT', 'SEX']);
    const [s1, s2, s3] = ds.subjects;
    expect(s1.doses).toEqual(
      [0, 12, 24].map((time) => ({ kind: 'bolus', time, target: 'depot', amount: 100, line: 3 })),
    );
    expect(s1.observations.map((o) => [o.time, o.value])).toEqual([
      [0.5, 1.92],
      [1, 2.61],
      [26, 2.2],
    ]);
    expect(s1.covariates).toEqual({ WT: 70, SEX: 0 });
    expect(s2.doses).toEqual([
      { kind: 'infusion', time: 0, target: 'central', rate: 50, duration: 1, line: 10 },
    ]);
    expect(s3.doses).toEqual([{ kind: 'bolus', time: 0, target: 'depot', amount: 80, line: 14 }]);
    expect(s3.observations.map((o) => o.value)).toEqual([0, 1.5]);
    expect(ds.source.rows).toBe(14);
    expect(ds.source.ignored).toEqual({
      count: 4,
      reasons: { comment: 2, 'EVID 2 (other event)': 1, 'MDV 1 without a dose': 1 },
    });
  });

  it('without a model keeps CMT numbers and names DV', () => {
    const ds = readNonmem(fixture('nonmem.csv'), 'nonmem.csv');
    expect(ds.observables).toEqual(['DV']);
    expect(ds.subjects[1].doses[0]).toMatchObject({ kind: 'infusion', target: '2' });
  });

  it('uses the maps, DVID and infers EVID from AMT and MDV', () => {
    const text =
      'ID TIME DV AMT MDV DVID CMT\n' +
      '7 0 . 10 1 . 1\n' +
      '7 1 2.5 . 0 1 2\n' +
      '7 1 40 . 0 2 2\n' +
      '7 2 . . 1 . .\n';
    const ds = readNonmem(text, 'pkpd.txt', {
      delimiter: 'whitespace',
      compartmentMap: { 1: 'oral' },
      observableMap: { 1: 'conc', 2: 'effect' },
    });
    expect(ds.observables).toEqual(['conc', 'effect']);
    expect(ds.subjects[0].doses).toEqual([{ kind: 'bolus', time: 0, target: 'oral', amount: 10, line: 2 }]);
    expect(ds.subjects[0].observations.map((o) => [o.observable, o.value])).toEqual([
      ['conc', 2.5],
      ['effect', 40],
    ]);
    expect(ds.source.ignored.reasons).toEqual({ 'MDV 1 without a dose': 1 });
    const plain = readNonmem(text, 'pkpd.txt', { delimiter: 'whitespace' });
    expect(plain.observables).toEqual(['DV1', 'DV2']);
  });

  it('notes the default compartment when there is no CMT column', () => {
    const ds = readNonmem('ID,TIME,DV,AMT\n1,0,.,5\n1,1,0.3,.\n', 'simple.csv');
    expect(ds.subjects[0].doses[0]).toMatchObject({ target: '1', amount: 5 });
    expect(ds.source.notes).toEqual(['no CMT column: doses go to compartment 1, as in NONMEM']);
  });
});

describe('BOM, CRLF, quotes, blank lines, whitespace', () => {
  it('reads the quirks fixture', () => {
    const ds = readLongCsv(fixture('quirks.csv'), 'quirks.csv');
    expect(ds.subjects.map((s) => s.id)).toEqual(['s,1', 's2']);
    expect(ds.subjects[0].observations.map((o) => [o.time, o.value, o.line])).toEqual([
      [0, 1.5, 2],
      [1, 2.5, 4],
      [2, 3.5, 5],
    ]);
    expect(ds.subjects[1].observations.map((o) => [o.time, o.value, o.line])).toEqual([
      [0, 4, 8],
      [1, 5, 9],
    ]);
    expect(ds.source.notes).toEqual(['column note not used']);
    expect(ds.source.rows).toBe(5);
  });

  it('detects formats and delimiters', () => {
    expect(detectFormat(fixture('nonmem.csv'), ',')).toBe('nonmem');
    expect(detectFormat(fixture('long.csv'), ',')).toBe('long');
    expect(detectFormat(fixture('wide.csv'), ',')).toBe('wide');
    const tsv = 'id\ttime\tobservable\tvalue\n1\t0\ty\t2\n';
    expect(readDataset(tsv, 'm.tsv').source.format).toBe('long');
    expect(readDataset(tsv, 'm.txt').subjects[0].observations[0].value).toBe(2);
    const spaced = readDataset('ID  TIME   DV  AMT\n1   0      .   10\n1   1.5    2   .\n', 'run1.dat');
    expect(spaced.source.format).toBe('nonmem');
    expect(spaced.subjects[0].observations[0]).toMatchObject({ time: 1.5, value: 2 });
  });
});
