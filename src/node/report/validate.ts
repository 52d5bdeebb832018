/**
 * Runtime check of {@link ReportData}, for data that arrives as JSON or from JavaScript where
 * types do not reach. Each problem names the path of the offending value
 * (`subjects[2].observables[0].observed[5].t`), what was expected and what was found.
 * Non-finite numbers are allowed: plots leave such points out and say how many.
 */
import type { ReportData } from './types.js';

/** Report data of the wrong shape. */
export class ReportDataError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `renderReport: the report data is malformed (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems
          .slice(0, 20)
          .map((p) => `  ${p}`)
          .join('\n') +
        (problems.length > 20 ? `\n  … and ${problems.length - 20} more` : ''),
    );
    this.name = 'ReportDataError';
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing (the field is missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 30 ? `${v.slice(0, 30)}…` : v)}`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

/** Collects problems while walking the data. */
class Checker {
  readonly problems: string[] = [];

  private fail(path: string, expected: string, v: unknown): void {
    this.problems.push(`${path}: expected ${expected}, found ${describe(v)}`);
  }

  record(v: unknown, path: string): Record<string, unknown> | null {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
    this.fail(path, 'an object', v);
    return null;
  }

  array(v: unknown, path: string): readonly unknown[] {
    if (Array.isArray(v)) return v;
    this.fail(path, 'an array', v);
    return [];
  }

  string(v: unknown, path: string): void {
    if (typeof v !== 'string') this.fail(path, 'a string', v);
  }

  number(v: unknown, path: string): void {
    if (typeof v !== 'number') this.fail(path, 'a number', v);
  }

  optionalNumber(v: unknown, path: string): void {
    if (v !== undefined) this.number(v, path);
  }

  /** An array of strings; returns the array (empty if it is none). */
  strings(v: unknown, path: string): readonly unknown[] {
    const a = this.array(v, path);
    for (const [i, x] of a.entries()) this.string(x, `${path}[${i}]`);
    return a;
  }

  /** Each element of an array field, as an object, with its path. */
  each(v: unknown, path: string, visit: (o: Record<string, unknown>, at: string) => void): void {
    this.array(v, path).forEach((x, i) => {
      const at = `${path}[${i}]`;
      const o = this.record(x, at);
      if (o !== null) visit(o, at);
    });
  }

  oneOf(v: unknown, path: string, allowed: readonly string[]): void {
    if (typeof v !== 'string' || !allowed.includes(v)) {
      this.fail(path, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, v);
    }
  }
}

/**
 * Throws a {@link ReportDataError} listing every problem if `data` is not {@link ReportData}.
 *
 * @example
 * ```ts
 * validateReportData(JSON.parse(text)); // throws, or narrows the type
 * ```
 */
export function validateReportData(data: unknown): asserts data is ReportData {
  const c = new Checker();
  const d = c.record(data, 'data');
  if (d === null) throw new ReportDataError(c.problems);
  for (const key of ['title', 'modelName', 'modelText', 'generatedAt', 'dataFingerprint'])
    c.string(d[key], key);
  if (typeof d.generatedAt === 'string' && Number.isNaN(Date.parse(d.generatedAt))) {
    c.problems.push(
      `generatedAt: expected an ISO 8601 date such as '2024-05-01T12:00:00Z', found ${describe(d.generatedAt)}`,
    );
  }
  const library = c.record(d.library, 'library');
  if (library !== null) {
    c.string(library.name, 'library.name');
    c.string(library.version, 'library.version');
  }
  c.number(d.seed, 'seed');
  const point = (o: Record<string, unknown>, at: string) => {
    c.number(o.t, `${at}.t`);
    c.number(o.y, `${at}.y`);
  };
  c.each(d.subjects, 'subjects', (s, at) => {
    c.string(s.id, `${at}.id`);
    c.each(s.observables, `${at}.observables`, (o, oat) => {
      c.string(o.name, `${oat}.name`);
      c.each(o.observed, `${oat}.observed`, point);
      c.each(o.predicted, `${oat}.predicted`, point);
    });
    c.each(s.doses, `${at}.doses`, (dose, dat) => {
      c.number(dose.time, `${dat}.time`);
      for (const k of ['amount', 'rate', 'duration']) c.optionalNumber(dose[k], `${dat}.${k}`);
      c.string(dose.route, `${dat}.route`);
    });
  });
  c.each(d.residuals, 'residuals', (r, at) => {
    c.string(r.subject, `${at}.subject`);
    c.string(r.observable, `${at}.observable`);
    for (const k of ['t', 'residual', 'predicted']) c.number(r[k], `${at}.${k}`);
  });
  const training = c.record(d.training, 'training');
  if (training !== null) {
    c.each(training.epochs, 'training.epochs', (e, at) => {
      c.number(e.epoch, `${at}.epoch`);
      c.number(e.loss, `${at}.loss`);
      c.optionalNumber(e.valLoss, `${at}.valLoss`);
    });
    c.strings(training.events, 'training.events');
  }
  c.each(d.parameters, 'parameters', (p, at) => {
    c.string(p.name, `${at}.name`);
    for (const k of ['value', 'lower', 'upper', 'initial']) c.number(p[k], `${at}.${k}`);
    c.oneOf(p.scale, `${at}.scale`, ['lin', 'log', 'logit']);
    c.optionalNumber(p.trueValue, `${at}.trueValue`);
    c.optionalNumber(p.std, `${at}.std`);
  });
  if (d.closure !== undefined) {
    c.each(d.closure, 'closure', (p, at) => {
      c.string(p.net, `${at}.net`);
      c.string(p.output, `${at}.output`);
      c.number(p.t, `${at}.t`);
      c.number(p.magnitude, `${at}.magnitude`);
      if (p.subject !== undefined) c.string(p.subject, `${at}.subject`);
    });
  }
  const graph = c.record(d.graph, 'graph');
  if (graph !== null) {
    const names = new Set([
      ...c.strings(graph.states, 'graph.states'),
      ...c.strings(graph.inputs, 'graph.inputs'),
    ]);
    c.each(graph.edges, 'graph.edges', (e, at) => {
      c.string(e.from, `${at}.from`);
      c.string(e.to, `${at}.to`);
      c.oneOf(e.kind, `${at}.kind`, ['state', 'input']);
      c.strings(e.termText, `${at}.termText`);
      c.strings(e.via, `${at}.via`);
      for (const end of ['from', 'to'] as const) {
        if (typeof e[end] === 'string' && !names.has(e[end])) {
          c.problems.push(`${at}.${end}: '${e[end]}' is not among graph.states or graph.inputs`);
        }
      }
    });
  }
  const metrics = c.record(d.metrics, 'metrics');
  if (metrics !== null)
    for (const [k, v] of Object.entries(metrics)) c.number(v, `metrics[${JSON.stringify(k)}]`);
  c.strings(d.notes, 'notes');
  if (c.problems.length > 0) throw new ReportDataError(c.problems);
}
