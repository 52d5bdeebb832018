import { existsSync, readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDelimited } from '../../src/data/delimited.js';
import { readLongCsv } from '../../src/data/long.js';
import { ProblemList } from '../../src/data/problems.js';
import { readDatasetFile } from '../../src/node/data.js';

const parse = (text: string, delimiter = ',') => {
  const problems = new ProblemList('t.csv');
  const { rows } = parseDelimited(text, { delimiter }, problems);
  return { rows: rows.map((r) => [r.line, ...r.fields]), problems: problems.items };
};

describe('parseDelimited', () => {
  it('follows RFC 4180 quoting and counts physical lines', () => {
    expect(parse('a,b\r\n"x, ""y""","1\r\n2"\r\nlast,\r\n').rows).toEqual([
      [1, 'a', 'b'],
      [2, 'x, "y"', '1\r\n2'],
      [4, 'last', ''],
    ]);
  });

  it('drops a BOM, skips blank lines, trims unquoted fields and accepts CR line ends', () => {
    expect(parse('\uFEFFa , b\r\r  \t\rc,"  d "\n').rows).toEqual([
      [1, 'a', 'b'],
      [4, 'c', '  d '],
    ]);
  });

  it('splits on runs of whitespace, and keeps tabs inside fields of a tab-separated file', () => {
    expect(parse('  ID  TIME\tDV\n 1   0.5  "a b"  \n', 'whitespace').rows).toEqual([
      [1, 'ID', 'TIME', 'DV'],
      [2, '1', '0.5', 'a b'],
    ]);
    expect(parse('a\tb\n1\t\t\n', '\t').rows).toEqual([
      [1, 'a', 'b'],
      [2, '1', '', ''],
    ]);
  });

  it('reports text after a closing quote', () => {
    const { rows, problems } = parse('a,b\n"x"y,2\n');
    expect(rows[1]).toEqual([2, 'xy', '2']);
    expect(problems.map((p) => [p.kind, p.line])).toEqual([['badQuote', 2]]);
  });

  it('reads back any table written with RFC 4180 quoting', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', 'Z', '1', ',', '"', '\n', '\r', ' ', 'é', '\t') });
    const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 5 }),
        fc.constantFrom('\n', '\r\n'),
        (table, eol) => {
          const text = table.map((r) => r.map(quote).join(',')).join(eol) + eol;
          const { rows, problems } = parse(text);
          expect(problems).toEqual([]);
          expect(rows.map((r) => r.slice(1))).toEqual(table);
        },
      ),
    );
  });
});

describe('a real dataset: PEtab SciML measurement tables', () => {
  const root = new URL('../../../shared/data/petab_sciml/sciml_problem_import/', import.meta.url);
  const cases = existsSync(root) ? readdirSync(root).sort() : [];

  it.skipIf(cases.length === 0)('reads every measurements.tsv as a long table', () => {
    const columns = { id: 'experimentId', observable: 'observableId', value: 'measurement' };
    for (const c of cases) {
      const path = new URL(`${c}/petab/measurements.tsv`, root).pathname;
      const ds = readDatasetFile(path, { format: 'long', columns });
      const rows = readFileSync(path, 'utf8').trim().split('\n').length - 1;
      const values = ds.subjects.reduce((n, s) => n + s.observations.length, 0);
      expect(values + ds.source.ignored.count).toBe(rows);
      expect(ds.source.rows).toBe(rows);
    }
    const first = readDatasetFile(new URL(`${cases[0]}/petab/measurements.tsv`, root).pathname, {
      format: 'long',
      columns,
    });
    expect(first.observables).toEqual(['prey_o', 'predator_o']);
    expect(first.subjects.map((s) => s.id)).toEqual(['e1']);
    expect(first.subjects[0].observations[0]).toMatchObject({
      time: 1,
      observable: 'prey_o',
      value: 0.17301723066954827,
    });
  });

  it('is also readable from a string with a tab delimiter', () => {
    const ds = readLongCsv('observableId\texperimentId\tmeasurement\ttime\nx\te1\t0.5\t1.0\n', 'm.tsv', {
      delimiter: '\t',
      columns: { id: 'experimentId', observable: 'observableId', value: 'measurement' },
    });
    expect(ds.subjects[0].observations[0]).toMatchObject({ time: 1, value: 0.5 });
  });
});
