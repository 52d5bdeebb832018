/**
 * The report's plots as Vega-Lite specifications: data against fit per subject, residuals,
 * training curves and closure magnitudes. Each builder takes report data and returns a
 * specification with its data inline; it does not render.
 *
 * User text (subject ids, observable and network names) only ever goes into data values and
 * titles, never into field names or expressions, so no name can change what a plot computes.
 * Points with a non-finite coordinate cannot be drawn: builders leave them out and count them,
 * and the report says how many.
 */
import type { TopLevelSpec } from 'vega-lite';
import type {
  ReportClosurePoint,
  ReportDose,
  ReportEpoch,
  ReportPoint,
  ReportResidual,
  ReportSubject,
} from './types.js';

/** One layer of a layered plot (a unit specification or a nested layer). */
type Layer = Extract<TopLevelSpec, { layer: unknown }>['layer'][number];

/** A specification and the number of points left out because a coordinate was not finite. */
export interface PlotSpec {
  readonly spec: TopLevelSpec;
  readonly omitted: number;
}

const OBSERVED_COLOR = '#d62728';
const PREDICTED_COLOR = '#1f77b4';
const DOSE_COLOR = '#555555';

const PANEL_WIDTH = 300;
const PANEL_HEIGHT = 180;
const WIDE_WIDTH = 560;
const WIDE_HEIGHT = 260;

/** Observed and predicted as the legend names them. */
const FIT_SERIES = { domain: ['observed', 'predicted'], range: [OBSERVED_COLOR, PREDICTED_COLOR] };

function isFinitePoint(p: ReportPoint): boolean {
  return Number.isFinite(p.t) && Number.isFinite(p.y);
}

/** A dose as plot data: start, end (infusions) and whether it is an infusion. */
interface DoseDatum {
  readonly time: number;
  readonly end: number;
  readonly infusion: boolean;
}

function doseData(doses: readonly ReportDose[]): { data: DoseDatum[]; omitted: number } {
  const data: DoseDatum[] = [];
  let omitted = 0;
  for (const d of doses) {
    if (!Number.isFinite(d.time)) {
      omitted++;
      continue;
    }
    const duration = d.duration ?? 0;
    const infusion = Number.isFinite(duration) && duration > 0;
    data.push({ time: d.time, end: infusion ? d.time + duration : d.time, infusion });
  }
  return { data, omitted };
}

/**
 * One subject: a panel per observable with the observations as points, the prediction as a
 * line, bolus doses as dashed vertical rules with a triangle at the top, infusions as a shaded
 * band over their duration.
 */
export function subjectSpec(subject: ReportSubject): PlotSpec {
  const doses = doseData(subject.doses);
  let omitted = doses.omitted;
  const infusions = doses.data.filter((d) => d.infusion);
  const doseLayers: Layer[] = [];
  if (infusions.length > 0) {
    doseLayers.push({
      data: { values: infusions },
      mark: { type: 'rect', color: DOSE_COLOR, opacity: 0.15 },
      encoding: { x: { field: 'time', type: 'quantitative' }, x2: { field: 'end' } },
    });
  }
  if (doses.data.length > 0) {
    doseLayers.push(
      {
        data: { values: doses.data },
        mark: { type: 'rule', color: DOSE_COLOR, strokeDash: [4, 3] },
        encoding: { x: { field: 'time', type: 'quantitative' } },
      },
      {
        data: { values: doses.data },
        mark: { type: 'point', shape: 'triangle-down', filled: true, color: DOSE_COLOR, size: 70 },
        encoding: { x: { field: 'time', type: 'quantitative' }, y: { value: 5 } },
      },
    );
  }
  const panels = subject.observables.map((obs) => {
    const observed = obs.observed.filter(isFinitePoint);
    const predicted = obs.predicted.filter(isFinitePoint);
    omitted += obs.observed.length - observed.length + obs.predicted.length - predicted.length;
    const x = { field: 't', type: 'quantitative', title: 'time' } as const;
    const y = { field: 'y', type: 'quantitative', title: obs.name, scale: { zero: false } } as const;
    const layer: Layer[] = [...doseLayers];
    // An empty data layer would give its scales an infinite extent: leave it out.
    if (predicted.length > 0) {
      layer.push({
        data: { values: predicted },
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: { x, y, color: { datum: 'predicted', type: 'nominal', scale: FIT_SERIES, title: null } },
      });
    }
    if (observed.length > 0) {
      layer.push({
        data: { values: observed },
        mark: { type: 'point', filled: true, size: 30, opacity: 0.9 },
        encoding: { x, y, color: { datum: 'observed', type: 'nominal', scale: FIT_SERIES, title: null } },
      });
    }
    if (predicted.length === 0 && observed.length === 0) {
      layer.push({
        data: { values: [{}] },
        mark: { type: 'text', text: `no data for ${obs.name}`, color: '#666' },
        encoding: { x: { value: PANEL_WIDTH / 2 }, y: { value: PANEL_HEIGHT / 2 } },
      });
    }
    return { width: PANEL_WIDTH, height: PANEL_HEIGHT, layer };
  });
  return {
    spec: {
      title: `Subject ${subject.id}`,
      columns: 2,
      concat: panels,
      resolve: { scale: { color: 'shared' } },
    },
    omitted,
  };
}

function residualData(residuals: readonly ReportResidual[], x: 't' | 'predicted') {
  const data: { x: number; residual: number; observable: string }[] = [];
  for (const r of residuals) {
    const xv = x === 't' ? r.t : r.predicted;
    if (Number.isFinite(xv) && Number.isFinite(r.residual)) {
      data.push({ x: xv, residual: r.residual, observable: r.observable });
    }
  }
  return { data, omitted: residuals.length - data.length };
}

/**
 * Residuals (observed − predicted) against time (`x = 't'`) or against the prediction
 * (`x = 'predicted'`), coloured by observable, with the zero line.
 */
export function residualSpec(residuals: readonly ReportResidual[], x: 't' | 'predicted'): PlotSpec {
  const { data, omitted } = residualData(residuals, x);
  return {
    spec: {
      width: WIDE_WIDTH,
      height: WIDE_HEIGHT,
      layer: [
        {
          data: { values: [{ zero: 0 }] },
          mark: { type: 'rule', color: '#444', strokeDash: [4, 3] },
          encoding: { y: { field: 'zero', type: 'quantitative' } },
        },
        {
          data: { values: data },
          mark: { type: 'point', filled: true, size: 24, opacity: 0.75 },
          encoding: {
            x: {
              field: 'x',
              type: 'quantitative',
              title: x === 't' ? 'time' : 'predicted',
              scale: { zero: false },
            },
            y: { field: 'residual', type: 'quantitative', title: 'residual' },
            color: { field: 'observable', type: 'nominal', title: 'observable' },
          },
        },
      ],
    },
    omitted,
  };
}

/** A training curve and whether its y axis is logarithmic. */
export interface TrainingPlotSpec extends PlotSpec {
  readonly logScale: boolean;
}

/**
 * Training loss (and validation loss, where given) against epoch. The y axis is logarithmic
 * when every drawn loss is positive, linear otherwise.
 */
export function trainingSpec(epochs: readonly ReportEpoch[]): TrainingPlotSpec {
  const data: { epoch: number; loss: number; series: string }[] = [];
  let omitted = 0;
  for (const e of epochs) {
    const add = (loss: number, series: string) => {
      if (Number.isFinite(e.epoch) && Number.isFinite(loss)) data.push({ epoch: e.epoch, loss, series });
      else omitted++;
    };
    add(e.loss, 'training');
    if (e.valLoss !== undefined) add(e.valLoss, 'validation');
  }
  const logScale = data.length > 0 && data.every((d) => d.loss > 0);
  return {
    spec: {
      width: WIDE_WIDTH,
      height: WIDE_HEIGHT,
      data: { values: data },
      mark: { type: 'line', point: data.length <= 60 ? { filled: true, size: 20 } : false },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
        y: {
          field: 'loss',
          type: 'quantitative',
          title: logScale ? 'loss (log scale)' : 'loss',
          scale: logScale ? { type: 'log' } : { zero: false },
        },
        color: {
          field: 'series',
          type: 'nominal',
          title: null,
          scale: { domain: ['training', 'validation'], range: [PREDICTED_COLOR, '#ff7f0e'] },
        },
      },
    },
    omitted,
    logScale,
  };
}

/**
 * Magnitude of each network output over time, one colour per `net.output`, one line per
 * subject.
 */
export function closureSpec(points: readonly ReportClosurePoint[]): PlotSpec {
  const data: { t: number; magnitude: number; output: string; subject: string }[] = [];
  for (const p of points) {
    if (Number.isFinite(p.t) && Number.isFinite(p.magnitude)) {
      data.push({ t: p.t, magnitude: p.magnitude, output: `${p.net}.${p.output}`, subject: p.subject ?? '' });
    }
  }
  return {
    spec: {
      width: WIDE_WIDTH,
      height: WIDE_HEIGHT,
      data: { values: data },
      mark: { type: 'line', strokeWidth: 1.2, opacity: 0.8 },
      encoding: {
        x: { field: 't', type: 'quantitative', title: 'time' },
        y: { field: 'magnitude', type: 'quantitative', title: 'magnitude' },
        color: { field: 'output', type: 'nominal', title: 'network output' },
        detail: { field: 'subject', type: 'nominal' },
      },
    },
    omitted: points.length - data.length,
  };
}
