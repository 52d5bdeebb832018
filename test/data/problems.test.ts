import { describe, expect, it } from 'vitest';
import { readLongCsv } from '../../src/data/long.js';
import { readNonmem } from '../../src/data/nonmem.js';
import { DataError, formatProblem } from '../../src/data/problems.js';
import { readWideCsv } from '../../src/data/wide.js';
import { pkOneCompartmentModel } from '../../src/models/pkOneCompartment.js';
import { problemsOf } from './support.js';

const LONG = 'id,time,observable,value\n';
const NM = 'ID,TIME,DV,AMT,EVID,CMT\n';
const model = pkOneCompartmentModel();

interface Case {
  readonly name: string;
  readonly read: () => unknown;
  /** The expected problem: kind, line, column, subject and a piece of the message. */
  readonly kind: string;
  readonly line: number;
  readonly column?: string;
  readonly subject?: string;
  readonly says: string;
}

const long =
  (text: string, options = {}) =>
  () =>
    readLongCsv(LONG + text, 'data.csv', options);
const nm =
  (text: string, options = {}) =>
  () =>
    readNonmem(NM + text, 'nm.csv', { model, ...options });

const cases: Case[] = [
  {
    name: 'a value that is not a number',
    read: long('1,0,y,1\n1,1,y,abc\n'),
    kind: 'nonNumeric',
    line: 3,
    column: 'value',
    says: '"abc" is not a number',
  },
  {
    name: 'a decimal comma',
    read: long('1,"0,5",y,1\n'),
    kind: 'nonNumeric',
    line: 2,
    column: 'time',
    says: 'write the decimal mark as a point',
  },
  {
    name: 'a non-finite number',
    read: long('1,0,y,1\n1,1,y,1\n1,2,y,-Inf\n'),
    kind: 'nonFinite',
    line: 4,
    column: 'value',
    says: '"-Inf" is not a finite number',
  },
  {
    name: 'a number too large for float64',
    read: long('1,0,y,1e999\n'),
    kind: 'nonFinite',
    line: 2,
    column: 'value',
    says: 'overflows',
  },
  {
    name: 'a negative time',
    read: long('1,-0.5,y,1\n'),
    kind: 'negativeTime',
    line: 2,
    column: 'time',
    says: 'time -0.5 is negative',
  },
  {
    name: 'time going backwards within a NONMEM subject',
    read: nm('1,0,.,100,1,1\n1,2,3,.,0,2\n1,1,4,.,0,2\n'),
    kind: 'decreasingTime',
    line: 4,
    column: 'TIME',
    subject: '1',
    says: 'TIME 1 is before the TIME 2 at line 3',
  },
  {
    name: 'an unknown observable',
    read: long('1,0,conc,1\n1,1,cnoc,2\n', { observables: ['conc'] }),
    kind: 'unknownObservable',
    line: 3,
    column: 'observable',
    says: 'unknown observable "cnoc"; did you mean "conc"?',
  },
  {
    name: 'an unknown compartment',
    read: nm('1,0,.,100,1,5\n1,1,3,.,0,2\n'),
    kind: 'unknownCompartment',
    line: 2,
    column: 'CMT',
    says: 'CMT 5: model pkOneCompartment has 2 compartments (1 depot, 2 central)',
  },
  {
    name: 'a duplicated row',
    read: long('1,0,y,1\n2,0,y,5\n1,0,y,1.5\n'),
    kind: 'duplicateRow',
    line: 4,
    subject: '1',
    says: 'a second value of y at time 0 (the other is at line 2)',
  },
  {
    name: 'a dose without a target',
    read: () => readLongCsv('id,time,observable,value,amount,route\n1,0,,,100,\n1,1,y,2,,\n', 'data.csv'),
    kind: 'doseWithoutTarget',
    line: 2,
    column: 'route',
    says: 'a dose of 100 with no route',
  },
  {
    name: 'a NONMEM dose without a compartment',
    read: nm('1,0,.,100,1,.\n1,1,3,.,0,2\n'),
    kind: 'doseWithoutTarget',
    line: 2,
    column: 'CMT',
    says: 'give CMT',
  },
  {
    name: 'a missing required column, with a suggestion',
    read: () => readLongCsv('id,tme,observable,value\n1,0,y,1\n', 'data.csv'),
    kind: 'missingColumn',
    line: 1,
    column: 'time',
    says: 'no column "time" (the time); did you mean "tme"?',
  },
  {
    name: 'a covariate option naming no column',
    read: long('1,0,y,1\n', { covariates: ['WT'] }),
    kind: 'missingColumn',
    line: 1,
    column: 'WT',
    says: 'no column "WT" (a covariate)',
  },
  {
    name: 'an inconsistent covariate',
    read: () =>
      readWideCsv('id,time,y,WT\n1,0,1,70\n1,1,2,70\n1,2,2,72\n', 'data.csv', { covariates: ['WT'] }),
    kind: 'inconsistentCovariate',
    line: 4,
    column: 'WT',
    subject: '1',
    says: 'covariate WT is 72 here but 70 at line 2',
  },
  {
    name: 'an empty file',
    read: () => readLongCsv('\uFEFF\r\n  \r\n', 'data.csv'),
    kind: 'emptyFile',
    line: 0,
    says: 'the file is empty',
  },
  {
    name: 'a header without rows',
    read: () => readLongCsv('id,time,observable,value\r\n', 'data.csv'),
    kind: 'emptyFile',
    line: 1,
    says: 'a header but no data rows',
  },
  {
    name: 'a ragged row',
    read: long('1,0,y,1\n1,1,y,1,5\n'),
    kind: 'raggedRow',
    line: 3,
    says: 'the row has 5 fields but the header has 4 columns',
  },
  {
    name: 'an unclosed quote',
    read: long('1,0,y,1\n"2,1,y,1\n3,0,y,1\n'),
    kind: 'badQuote',
    line: 3,
    says: 'field 1 opens a quote (") that is never closed',
  },
  {
    name: 'a repeated column name',
    read: () => readLongCsv('id,time,observable,value,Value\n1,0,y,1,2\n', 'data.csv'),
    kind: 'badHeader',
    line: 1,
    column: 'Value',
    says: 'column 5 repeats the name "Value" of column 4',
  },
  {
    name: 'a NONMEM reset',
    read: nm('1,0,.,100,1,1\n1,5,.,.,3,.\n'),
    kind: 'unsupported',
    line: 3,
    column: 'EVID',
    says: 'EVID 3 (reset) is not supported',
  },
  {
    name: 'a modelled infusion rate',
    read: () => readNonmem('ID,TIME,DV,AMT,EVID,CMT,RATE\n1,0,.,100,1,2,-2\n1,1,3,.,0,2,.\n', 'nm.csv'),
    kind: 'unsupported',
    line: 2,
    column: 'RATE',
    says: 'RATE -2 (infusion duration estimated by the model) is not supported',
  },
  {
    name: 'ADDL without II',
    read: () => readNonmem('ID,TIME,DV,AMT,EVID,CMT,ADDL\n1,0,.,100,1,1,3\n1,1,3,.,0,2,.\n', 'nm.csv'),
    kind: 'invalidValue',
    line: 2,
    column: 'II',
    says: 'ADDL 3 needs an interdose interval II > 0',
  },
  {
    name: 'a NONMEM subject split in two blocks',
    read: nm('1,0,2,.,0,2\n2,0,3,.,0,2\n1,1,4,.,0,2\n'),
    kind: 'splitSubject',
    line: 4,
    column: 'ID',
    subject: '1',
    says: 'the rows of ID 1 continue here',
  },
  {
    name: 'an empty subject id',
    read: long('1,0,y,1\n,1,y,2\n'),
    kind: 'missingValue',
    line: 3,
    column: 'id',
    says: 'the subject id is missing',
  },
];

describe('located problems', () => {
  it.each(cases)('$name → $kind', (c) => {
    const problems = problemsOf(c.read);
    const p = problems.find((q) => q.kind === c.kind);
    expect(p, problems.map(formatProblem).join('\n')).toBeDefined();
    expect(p?.line).toBe(c.line);
    expect(p?.column).toBe(c.column);
    expect(p?.subject).toBe(c.subject);
    expect(p?.message).toContain(c.says);
  });

  it('covers at least 12 kinds', () => {
    expect(new Set(cases.map((c) => c.kind)).size).toBeGreaterThanOrEqual(12);
  });

  it('formats a problem as file, line, column: message', () => {
    const [p] = problemsOf(long('1,0,y,1\n1,1,y,abc\n'));
    expect(formatProblem(p)).toBe('data.csv line 3, column value: "abc" is not a number');
  });

  it('collects every problem of a file, in line order, into one error', () => {
    const text = `${LONG}1,x,y,1\n1,1,y,\u221e\n2,-1,y,3\n3,0,y,1,9\n1,2,y,oops\n`;
    let error: unknown;
    try {
      readLongCsv(text, 'bad.csv');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DataError);
    const problems = (error as DataError).problems;
    expect(problems.map((p) => [p.line, p.kind])).toEqual([
      [2, 'nonNumeric'],
      [3, 'nonNumeric'],
      [4, 'negativeTime'],
      [5, 'raggedRow'],
      [6, 'nonNumeric'],
    ]);
    expect((error as DataError).message.split('\n')[0]).toBe('5 problems in bad.csv:');
  });
});
