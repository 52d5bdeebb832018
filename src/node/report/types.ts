/**
 * The input of the HTML report: everything a fitted model's report shows, as plain data. The
 * CLI fills it from a fitted-model artifact, its dataset and its training log; tests and other
 * tools can build it by hand. Nothing in it is read from the environment (no clock, no files),
 * so the same data always renders to the same HTML.
 */
import type { DependencyGraph } from '../../expr/graph.js';

/** A point of a curve or an observation: time and value. */
export interface ReportPoint {
  readonly t: number;
  readonly y: number;
}

/** One observable of one subject: the data and the model's prediction. */
export interface ReportObservable {
  /** The observable's name in the model. */
  readonly name: string;
  /** Measured values (missing observations left out). */
  readonly observed: readonly ReportPoint[];
  /** The model's prediction on a dense time grid, drawn as a line. */
  readonly predicted: readonly ReportPoint[];
}

/** A dose given to a subject: a bolus (amount) or an infusion (rate over a duration). */
export interface ReportDose {
  readonly time: number;
  readonly amount?: number;
  readonly rate?: number;
  readonly duration?: number;
  /** Where the dose goes, e.g. the dosed state's name or `oral`, `iv`. */
  readonly route: string;
}

/** One subject (individual, experiment, trajectory) of the dataset. */
export interface ReportSubject {
  readonly id: string;
  readonly observables: readonly ReportObservable[];
  readonly doses: readonly ReportDose[];
}

/** One residual: observed minus predicted at an observation time. */
export interface ReportResidual {
  readonly subject: string;
  readonly observable: string;
  readonly t: number;
  /** Observed − predicted (or a weighted residual; the notes should say which). */
  readonly residual: number;
  readonly predicted: number;
}

/** One epoch of training. */
export interface ReportEpoch {
  readonly epoch: number;
  /** Training loss. */
  readonly loss: number;
  /** Validation loss, when a validation split was used. */
  readonly valLoss?: number;
}

/** The training history. */
export interface ReportTraining {
  readonly epochs: readonly ReportEpoch[];
  /** Noteworthy events in order: early stopping, NaN rollbacks, learning-rate cuts, resumes. */
  readonly events: readonly string[];
}

/** One fitted mechanistic parameter. */
export interface ReportParameter {
  readonly name: string;
  /** Fitted value, in natural units. */
  readonly value: number;
  /** The scale the optimizer worked on. */
  readonly scale: 'lin' | 'log' | 'logit';
  readonly lower: number;
  readonly upper: number;
  /** Value before fitting. */
  readonly initial: number;
  /** The value the data were generated with, for synthetic studies. */
  readonly trueValue?: number;
  /** Standard error (e.g. from the Fisher information), in natural units. */
  readonly std?: number;
}

/** A sample of a network output's magnitude along a trajectory, e.g. |F.a|(t). */
export interface ReportClosurePoint {
  /** Network name. */
  readonly net: string;
  /** Output name of that network. */
  readonly output: string;
  readonly t: number;
  readonly magnitude: number;
  /**
   * The subject whose trajectory the sample lies on; samples of different subjects are drawn as
   * separate lines. Without it, all samples of one output form one line.
   */
  readonly subject?: string;
}

/** Everything the report shows. */
export interface ReportData {
  /** Heading of the report and the HTML `<title>`. */
  readonly title: string;
  readonly modelName: string;
  /** The model's source text (model language), shown verbatim. */
  readonly modelText: string;
  /** When the report was generated, as an ISO 8601 string (passed in; the renderer reads no clock). */
  readonly generatedAt: string;
  readonly library: { readonly name: string; readonly version: string };
  /** The training seed. */
  readonly seed: number;
  /** Fingerprint (hash) of the dataset the model was fitted to. */
  readonly dataFingerprint: string;
  readonly subjects: readonly ReportSubject[];
  readonly residuals: readonly ReportResidual[];
  readonly training: ReportTraining;
  readonly parameters: readonly ReportParameter[];
  /** Network output magnitudes over time; absent for purely mechanistic models. */
  readonly closure?: readonly ReportClosurePoint[];
  /** The model's dependency graph (`dependencyGraph(model)`). */
  readonly graph: DependencyGraph;
  /** Summary numbers, shown in the given order (e.g. `RMSE`, `final loss`, `epochs`). */
  readonly metrics: Readonly<Record<string, number>>;
  /** Free-text remarks shown in the summary. */
  readonly notes: readonly string[];
}

/** Options of `renderReport`. */
export interface ReportOptions {
  /** Subjects plotted individually; the others are counted in a note (default 12). */
  readonly maxSubjects?: number;
}
