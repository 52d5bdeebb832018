import { describe, expect, it } from 'vitest';
import {
  REPORT_SECTIONS,
  type ReportData,
  ReportDataError,
  renderReport,
  validateReportData,
} from '../../../src/node/report/index.js';
import { MODEL_TEXT, NASTY_ID, reportFixture } from './fixture.js';

const count = (html: string, re: RegExp) => html.match(re)?.length ?? 0;

/**
 * The first match of `pattern` in `text` with 40 characters either side, or null: assertions
 * on it print a snippet, not the whole page, when they fail.
 */
function find(text: string, pattern: RegExp | string): string | null {
  const at = typeof pattern === 'string' ? text.indexOf(pattern) : text.search(pattern);
  return at < 0
    ? null
    : text.slice(Math.max(0, at - 40), at + 40 + (typeof pattern === 'string' ? pattern.length : 0));
}

/** Asserts that `text` contains `s` (without printing all of `text`). */
function expectContains(text: string, s: string): void {
  expect(text.includes(s), `expected the markup to contain ${JSON.stringify(s)}`).toBe(true);
}

/** The markup of one `<section id=…>`. */
function sectionOf(html: string, id: string): string {
  const m = new RegExp(`<section id="${id}"[\\s\\S]*?</section>`).exec(html);
  if (m === null) throw new Error(`no section ${id}`);
  return m[0];
}

describe('renderReport', () => {
  it('renders one self-contained document with every section, in order', async () => {
    const html = await renderReport(reportFixture());
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    let last = -1;
    for (const s of REPORT_SECTIONS) {
      const at = html.indexOf(`<section id="${s.id}"`);
      expect(at, s.id).toBeGreaterThan(last);
      expectContains(html, `<h2 id="${s.id}-heading">${s.heading}</h2>`);
      expectContains(html, `<a href="#${s.id}">`);
      last = at;
    }
    // No scripts, no external resources, no event handlers.
    expect(find(html, /<script/i)).toBeNull();
    expect(find(html, /\son[a-z]+=/i)).toBeNull();
    expect(find(html, /(src|href)="(https?:)?\/\//i)).toBeNull();
    expect(find(html, /@import|url\((?!#)/i)).toBeNull();
    expectContains(html, `content="default-src 'none'; style-src 'unsafe-inline'"`);
  });

  it('puts every plot in a figure with a caption and an SVG with a title', async () => {
    const data = reportFixture(3);
    const html = await renderReport(data);
    const figures = [...html.matchAll(/<figure id="([^"]+)">([\s\S]*?)<\/figure>/g)];
    expect(figures.map((f) => f[1])).toEqual([
      'fig-fit-1',
      'fig-fit-2',
      'fig-fit-3',
      'fig-residuals-time',
      'fig-residuals-predicted',
      'fig-training',
      'fig-closure',
      'fig-graph',
    ]);
    for (const [, id, body] of figures) {
      expect(count(body, /<svg\b/g), id).toBe(1);
      // The root <svg> is labelled by its <title>, its first child.
      const labelled = new RegExp(
        `^<svg\\b[^>]*\\baria-labelledby="${id}-title"[^>]*><title id="${id}-title">[^<]+</title>`,
      );
      expect(labelled.test(body), `${id}: <svg aria-labelledby> with a <title> first`).toBe(true);
      expect(/<figcaption>[^<][\s\S]*<\/figcaption>$/.test(body), `${id}: a caption last`).toBe(true);
    }
    expect(count(html, /<svg\b/g)).toBe(figures.length);
    // Every element id is unique in the page.
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('escapes subject ids, names, the model text, title, notes and events', async () => {
    const html = await renderReport(reportFixture());
    expect(find(html, '<script>alert')).toBeNull();
    expect(find(html, '<test>')).toBeNull();
    expect(find(html, '<mg/L>')).toBeNull();
    expect(find(html, '<rollback>')).toBeNull();
    expectContains(html, '&lt;script&gt;alert(&quot;id&quot;)&lt;/script&gt; &amp; &#39;S2&#39;');
    expectContains(html, '<title>Fit of pk_hybrid &lt;test&gt; &amp; &quot;report&quot;</title>');
    expectContains(html, 'if central &lt; 1 then food else 0');
    expectContains(html, 'Residuals are unweighted &amp; in &lt;mg/L&gt;.');
    // The model text comes back verbatim once the references are decoded.
    const pre = /<pre class="model"><code>([\s\S]*?)<\/code><\/pre>/.exec(html)![1];
    const decoded = pre
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>')
      .replaceAll('&quot;', '"')
      .replaceAll('&#39;', "'")
      .replaceAll('&amp;', '&');
    expect(decoded).toBe(MODEL_TEXT);
    // Inside the plots (Vega's own escaping) the id is escaped as well.
    const fit = /<figure id="fig-fit-2">[\s\S]*?<\/figure>/.exec(html)![0];
    expectContains(fit, '&lt;script&gt;');
    expect(find(fit, NASTY_ID)).toBeNull();
  });

  it('is deterministic: the same data gives the same bytes, whatever was rendered before', async () => {
    const a = await renderReport(reportFixture());
    await renderReport(reportFixture(5));
    const b = await renderReport(reportFixture());
    const firstDifference = [...a].findIndex((c, i) => c !== b[i]);
    expect(b.length).toBe(a.length);
    expect(firstDifference, find(a, a.slice(firstDifference, firstDifference + 20)) ?? '').toBe(-1);
    expectContains(a, '2024-05-01T12:00:00.000Z');
  });

  it('plots at most maxSubjects subjects and says so', async () => {
    const data = reportFixture(7);
    const html = await renderReport(data, { maxSubjects: 4 });
    expect(count(html, /<figure id="fig-fit-/g)).toBe(4);
    expectContains(html, 'Showing the first 4 of 7 subjects');
    // Residuals still cover all of them.
    expectContains(html, `${data.residuals.length} residuals from 7 subjects`);
    const all = await renderReport(data);
    expect(count(all, /<figure id="fig-fit-/g)).toBe(7);
    expect(find(all, 'Showing the first')).toBeNull();
    await expect(renderReport(data, { maxSubjects: 0 })).rejects.toThrow(
      /maxSubjects must be a positive integer/,
    );
  });

  it('summarizes metrics, notes, parameters and training', async () => {
    const html = await renderReport(reportFixture());
    const summary = sectionOf(html, 'summary');
    expectContains(summary, '<th scope="row">RMSE</th><td class="num">0.0345</td>');
    expectContains(summary, 'final loss &lt;train&gt;');
    const params = sectionOf(html, 'parameters');
    expect(count(params, /<tr>/g)).toBe(4); // header + 3 parameters
    expectContains(params, '<td class="flag">at upper bound</td>');
    expectContains(params, '1 parameter at or beyond a bound.');
    expectContains(
      params,
      '<th scope="row">ka</th><td class="num">1.2</td><td class="num">0.08</td><td class="num">6.667</td>',
    );
    const training = sectionOf(html, 'training');
    expectContains(training, 'logarithmic y axis');
    expectContains(training, '<li>early stopping at epoch 40; best epoch 31</li>');
    expectContains(sectionOf(html, 'residuals'), '<th scope="row">conc</th><td class="num">24</td>');
  });

  it('uses a linear loss axis when a loss is not positive', async () => {
    const data = reportFixture(1);
    const epochs = data.training.epochs.map((e) => ({ ...e, loss: e.loss - 0.5 }));
    const html = await renderReport({ ...data, training: { ...data.training, epochs } });
    expectContains(sectionOf(html, 'training'), 'linear y axis');
  });

  it('leaves out non-finite points and counts them', async () => {
    const data = reportFixture(1);
    const s = data.subjects[0];
    const observed = [
      ...s.observables[0].observed,
      { t: 5, y: Number.NaN },
      { t: Number.POSITIVE_INFINITY, y: 1 },
    ];
    const subjects = [{ ...s, observables: [{ ...s.observables[0], observed }] }];
    const html = await renderReport({ ...data, subjects });
    expectContains(html, '2 points with a non-finite coordinate not drawn in “Data and fit for subject S1”.');
    expect(find(sectionOf(html, 'fits'), /NaN|Infinity/)).toBeNull();
  });

  it('says so when a section has nothing to show', async () => {
    const data: ReportData = {
      ...reportFixture(1),
      subjects: [],
      residuals: [],
      training: { epochs: [], events: [] },
      parameters: [],
      closure: undefined,
      graph: { states: [], inputs: [], edges: [] },
      metrics: {},
      notes: [],
    };
    const html = await renderReport(data);
    for (const s of REPORT_SECTIONS) expectContains(html, `<section id="${s.id}"`);
    expect(count(html, /<figure/g)).toBe(0);
    expectContains(sectionOf(html, 'fits'), 'No subjects in the data.');
    expectContains(sectionOf(html, 'residuals'), 'No residuals');
    expectContains(sectionOf(html, 'training'), 'No training history');
    expectContains(sectionOf(html, 'parameters'), 'no fitted mechanistic parameters');
    expectContains(sectionOf(html, 'closure'), 'No closure magnitudes');
    expectContains(sectionOf(html, 'graph'), 'The model has no states.');
    expectContains(sectionOf(html, 'summary'), 'No metrics.');
  });

  it('draws a panel without data as a note instead of an empty plot', async () => {
    const data = reportFixture(1);
    const s = data.subjects[0];
    const subjects = [{ ...s, doses: [], observables: [{ name: 'conc', observed: [], predicted: [] }] }];
    const html = await renderReport({ ...data, subjects });
    expectContains(html, 'no data for conc');
    expect(find(html, 'Infinite extent')).toBeNull();
  });

  it('reports no Vega warnings for ordinary data', async () => {
    const html = await renderReport(reportFixture(2));
    expect(find(html, /WARN|ERROR/)).toBeNull();
  });
});

describe('validateReportData', () => {
  it('accepts the fixture', () => {
    expect(() => validateReportData(JSON.parse(JSON.stringify(reportFixture())))).not.toThrow();
  });

  it('lists every problem with its path', () => {
    const bad = JSON.parse(JSON.stringify(reportFixture(1)));
    bad.seed = '42';
    bad.generatedAt = 'yesterday';
    bad.subjects[0].observables[0].observed[2].t = 'x';
    bad.parameters[1].scale = 'exp';
    bad.graph.edges[0].from = 'nowhere';
    delete bad.training.events;
    let error: unknown;
    try {
      validateReportData(bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ReportDataError);
    const problems = (error as ReportDataError).problems;
    expect(problems).toEqual([
      'generatedAt: expected an ISO 8601 date such as \'2024-05-01T12:00:00Z\', found the string "yesterday"',
      'seed: expected a number, found the string "42"',
      'subjects[0].observables[0].observed[2].t: expected a number, found the string "x"',
      'training.events: expected an array, found nothing (the field is missing)',
      "parameters[1].scale: expected one of 'lin', 'log', 'logit', found the string \"exp\"",
      "graph.edges[0].from: 'nowhere' is not among graph.states or graph.inputs",
    ]);
    expectContains((error as Error).message, 'the report data is malformed (6 problems)');
  });

  it('rejects a non-object', async () => {
    expect(() => validateReportData(null)).toThrow(/data: expected an object, found null/);
    await expect(renderReport(JSON.parse('[]'))).rejects.toThrow(ReportDataError);
  });
});
