/**
 * The HTML report of a fitted model: one self-contained file (inline CSS, inline SVG, no
 * scripts, no external resources, so it opens offline and can be mailed or archived), with
 * sections for the summary, data against fit per subject, residuals, training curves,
 * parameters, closure magnitudes, the dependency graph and the model source.
 *
 * The page is a pure function of its input: the same {@link ReportData} always gives the same
 * bytes (no clock, no randomness; plot ids are numbered in page order).
 */
import { escapeHtml } from './escape.js';
import { formatNumber } from './format.js';
import { graphSvg } from './graphSvg.js';
import { closureSpec, type PlotSpec, residualSpec, subjectSpec, trainingSpec } from './plotSpecs.js';
import { REPORT_CSS } from './style.js';
import { boundFlag, doseTable, edgeTable, metricsTable, parameterTable, residualTable } from './tables.js';
import type { ReportData, ReportOptions, ReportSubject } from './types.js';
import { validateReportData } from './validate.js';
import { renderVegaLite } from './vegaSvg.js';

/** Default number of subjects plotted individually. */
export const DEFAULT_MAX_SUBJECTS = 12;

/** The report's sections in page order: anchor id and heading. */
export const REPORT_SECTIONS = [
  { id: 'summary', heading: 'Summary' },
  { id: 'fits', heading: 'Data and fit' },
  { id: 'residuals', heading: 'Residuals' },
  { id: 'training', heading: 'Training' },
  { id: 'parameters', heading: 'Parameters' },
  { id: 'closure', heading: 'Closure magnitude' },
  { id: 'graph', heading: 'Dependency graph' },
  { id: 'model', heading: 'Model' },
] as const;

type SectionId = (typeof REPORT_SECTIONS)[number]['id'];

const esc = escapeHtml;
const plural = (n: number, word: string, words = `${word}s`) => `${n} ${n === 1 ? word : words}`;

/** Collects what the renderer had to leave out or was warned about, for the summary. */
class RenderNotes {
  readonly notes: string[] = [];

  omitted(count: number, where: string): void {
    if (count > 0)
      this.notes.push(`${plural(count, 'point')} with a non-finite coordinate not drawn in ${where}.`);
  }
}

/** A `<figure>` with a rendered Vega-Lite plot and its caption (caption given as HTML). */
async function plotFigure(
  id: string,
  plot: PlotSpec,
  title: string,
  captionHtml: string,
  notes: RenderNotes,
): Promise<string> {
  const { svg, warnings } = await renderVegaLite(plot.spec, { idPrefix: id, title });
  for (const w of warnings) notes.notes.push(`Plot “${title}”: ${w}`);
  notes.omitted(plot.omitted, `“${title}”`);
  return `<figure id="${id}">${svg}<figcaption>${captionHtml}</figcaption></figure>`;
}

const empty = (text: string) => `<p class="empty">${esc(text)}</p>`;

async function fitsSection(data: ReportData, maxSubjects: number, notes: RenderNotes): Promise<string> {
  if (data.subjects.length === 0) return empty('No subjects in the data.');
  const shown = data.subjects.slice(0, maxSubjects);
  const parts: string[] = [
    '<p class="lead">Observations (points) and the fitted model’s prediction (line) per subject and observable. ' +
      'Dashed vertical rules with a ▼ mark doses; shaded bands are infusions.</p>',
  ];
  if (shown.length < data.subjects.length) {
    parts.push(
      `<p class="note">Showing the first ${shown.length} of ${data.subjects.length} subjects; ` +
        'the residual plots and tables include all of them.</p>',
    );
  }
  for (const [i, subject] of shown.entries()) parts.push(await subjectFigure(subject, i + 1, notes));
  return parts.join('\n');
}

async function subjectFigure(subject: ReportSubject, n: number, notes: RenderNotes): Promise<string> {
  const id = esc(subject.id);
  if (subject.observables.length === 0) return empty(`Subject ${subject.id} has no observables to plot.`);
  const names = subject.observables.map((o) => esc(o.name)).join(', ');
  const observed = subject.observables.reduce((s, o) => s + o.observed.length, 0);
  const doses = subject.doses.length > 0 ? `; ${plural(subject.doses.length, 'dose')}` : '; no doses';
  const caption = `Subject <strong>${id}</strong>: ${names} against time (${plural(observed, 'observation')}${doses}).`;
  const figure = await plotFigure(
    `fig-fit-${n}`,
    subjectSpec(subject),
    `Data and fit for subject ${subject.id}`,
    caption,
    notes,
  );
  const doseDetails =
    subject.doses.length > 0
      ? `<details><summary>Doses of subject ${id} (${subject.doses.length})</summary>${doseTable(subject.id, subject.doses)}</details>`
      : '';
  return figure + doseDetails;
}

async function residualsSection(data: ReportData, notes: RenderNotes): Promise<string> {
  if (data.residuals.length === 0) return empty('No residuals (no observations were fitted).');
  const subjects = new Set(data.residuals.map((r) => r.subject)).size;
  const scope = `${plural(data.residuals.length, 'residual')} from ${plural(subjects, 'subject')}`;
  return [
    '<p class="lead">Residual = observed − predicted. A good fit scatters evenly around the dashed zero line; ' +
      'a trend against time points at missing dynamics, a funnel against the prediction at a wrong error model.</p>',
    await plotFigure(
      'fig-residuals-time',
      residualSpec(data.residuals, 't'),
      'Residuals against time',
      `Residuals against time, coloured by observable (${scope}).`,
      notes,
    ),
    await plotFigure(
      'fig-residuals-predicted',
      residualSpec(data.residuals, 'predicted'),
      'Residuals against prediction',
      `Residuals against the predicted value, coloured by observable (${scope}).`,
      notes,
    ),
    residualTable(data.residuals),
  ].join('\n');
}

async function trainingSection(data: ReportData, notes: RenderNotes): Promise<string> {
  const { epochs, events } = data.training;
  const parts: string[] = [];
  if (epochs.length === 0) {
    parts.push(empty('No training history (the model was not trained, or its log was not kept).'));
  } else {
    const plot = trainingSpec(epochs);
    const last = epochs[epochs.length - 1];
    const hasVal = epochs.some((e) => e.valLoss !== undefined);
    const final =
      `final training loss ${formatNumber(last.loss)}` +
      (last.valLoss !== undefined ? `, validation loss ${formatNumber(last.valLoss)}` : '');
    const caption =
      `Loss per epoch over ${plural(epochs.length, 'epoch')}${hasVal ? ', training and validation' : ''}; ` +
      `${plot.logScale ? 'logarithmic' : 'linear'} y axis; ${final}.`;
    parts.push(
      '<p class="lead">The training loss should fall and level off. A validation loss that rises while the ' +
        'training loss falls means overfitting.</p>',
      await plotFigure('fig-training', plot, 'Training and validation loss', esc(caption), notes),
    );
  }
  parts.push(
    events.length === 0
      ? empty('No training events.')
      : `<h3>Training events</h3><ol class="events">${events.map((e) => `<li>${esc(e)}</li>`).join('')}</ol>`,
  );
  return parts.join('\n');
}

function parametersSection(data: ReportData): string {
  if (data.parameters.length === 0) return empty('The model has no fitted mechanistic parameters.');
  const flagged = data.parameters.filter((p) => boundFlag(p) !== '').length;
  const lead =
    '<p class="lead">Fitted values in natural units. A parameter at a bound, or with a coefficient of variation ' +
    'above about 50 %, is poorly determined by the data.</p>';
  const note = flagged > 0 ? `<p class="note">${plural(flagged, 'parameter')} at or beyond a bound.</p>` : '';
  return lead + note + parameterTable(data.parameters);
}

async function closureSection(data: ReportData, notes: RenderNotes): Promise<string> {
  const closure = data.closure ?? [];
  if (closure.length === 0) {
    return empty('No closure magnitudes: the model has no neural terms, or none were recorded.');
  }
  const outputs = [...new Set(closure.map((p) => `${p.net}.${p.output}`))];
  return [
    '<p class="lead">Magnitude of each network output along the trajectories: how much the learned term ' +
      'contributes over time. A closure that is large everywhere may be doing the mechanistic part’s work.</p>',
    await plotFigure(
      'fig-closure',
      closureSpec(closure),
      'Closure magnitude over time',
      `Magnitude of ${outputs.map((o) => `<code>${esc(o)}</code>`).join(', ')} against time, one line per subject.`,
      notes,
    ),
  ].join('\n');
}

function graphSection(data: ReportData): string {
  const g = data.graph;
  if (g.states.length === 0) return empty('The model has no states.');
  const title = `Dependency graph of ${data.modelName}`;
  const svg = graphSvg(g, { idPrefix: 'fig-graph', title });
  const viaNet = g.edges.filter((e) => e.via.length > 0).length;
  const caption =
    `${esc(title)}: ${plural(g.states.length, 'state')} (circles), ${plural(g.inputs.length, 'input')} (boxes), ` +
    `${plural(g.edges.length, 'dependency', 'dependencies')}` +
    `${viaNet > 0 ? `, ${viaNet} through a network (dashed)` : ''}. Hover an arrow for its full terms.`;
  return (
    '<p class="lead">An arrow u → v means u appears in dv/dt; its label lists those terms.</p>' +
    `<figure id="fig-graph">${svg}<figcaption>${caption}</figcaption></figure>` +
    (g.edges.length > 0
      ? `<details><summary>All dependencies (${g.edges.length})</summary>${edgeTable(g)}</details>`
      : '')
  );
}

function modelSection(data: ReportData): string {
  return `<p class="lead">Source of model <code>${esc(data.modelName)}</code>.</p><pre class="model"><code>${esc(data.modelText)}</code></pre>`;
}

function summarySection(data: ReportData, notes: RenderNotes): string {
  const metrics = Object.keys(data.metrics).length > 0 ? metricsTable(data.metrics) : empty('No metrics.');
  const all = [
    ...data.notes.map((n) => `<li>${esc(n)}</li>`),
    ...notes.notes.map((n) => `<li class="note">${esc(n)}</li>`),
  ];
  return metrics + (all.length > 0 ? `<h3>Notes</h3><ul class="notes">${all.join('')}</ul>` : '');
}

function section(id: SectionId, body: string): string {
  const heading = REPORT_SECTIONS.find((s) => s.id === id)?.heading ?? id;
  return `<section id="${id}" aria-labelledby="${id}-heading">\n<h2 id="${id}-heading">${esc(heading)}</h2>\n${body}\n</section>`;
}

/**
 * The report of a fitted model as one self-contained HTML document.
 *
 * @param data what to show; checked at run time ({@link ReportDataError} lists every problem)
 * @param options `maxSubjects`: subjects plotted individually (default 12)
 * @returns the HTML text (UTF-8), identical for identical input
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 * await writeFile('report.html', await renderReport(data));
 * ```
 */
export async function renderReport(data: ReportData, options: ReportOptions = {}): Promise<string> {
  validateReportData(data);
  const maxSubjects = options.maxSubjects ?? DEFAULT_MAX_SUBJECTS;
  if (!Number.isInteger(maxSubjects) || maxSubjects < 1) {
    throw new RangeError(`renderReport: maxSubjects must be a positive integer, got ${maxSubjects}`);
  }
  const notes = new RenderNotes();
  // Plots first (they add notes), the summary last; sections appear in REPORT_SECTIONS order.
  const body: Record<SectionId, string> = {
    summary: '',
    fits: await fitsSection(data, maxSubjects, notes),
    residuals: await residualsSection(data, notes),
    training: await trainingSection(data, notes),
    parameters: parametersSection(data),
    closure: await closureSection(data, notes),
    graph: graphSection(data),
    model: modelSection(data),
  };
  body.summary = summarySection(data, notes);
  const library = `${data.library.name} ${data.library.version}`;
  const meta: [string, string][] = [
    ['Model', `<code>${esc(data.modelName)}</code>`],
    ['Generated', `<time datetime="${esc(data.generatedAt)}">${esc(data.generatedAt)}</time>`],
    ['Library', esc(library)],
    ['Seed', esc(String(data.seed))],
    ['Data fingerprint', `<code>${esc(data.dataFingerprint)}</code>`],
    ['Subjects', String(data.subjects.length)],
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="generator" content="${esc(library)}">
<title>${esc(data.title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header>
<h1>${esc(data.title)}</h1>
<dl class="meta">${meta.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>
</header>
<nav aria-label="Sections"><ol>${REPORT_SECTIONS.map((s) => `<li><a href="#${s.id}">${s.heading}</a></li>`).join('')}</ol></nav>
<main>
${REPORT_SECTIONS.map((s) => section(s.id, body[s.id])).join('\n')}
</main>
<footer>Generated by ${esc(library)} at ${esc(data.generatedAt)}. Self-contained: no scripts, no external resources.</footer>
</body>
</html>
`;
}
