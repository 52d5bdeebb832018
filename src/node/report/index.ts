/**
 * HTML reports of fitted models (Node only: Vega renders the plots to SVG here). See
 * docs/report.md.
 */
export { escapeHtml } from './escape.js';
export { type GraphSvgOptions, graphSvg } from './graphSvg.js';
export { DEFAULT_MAX_SUBJECTS, REPORT_SECTIONS, renderReport } from './render.js';
export type {
  ReportClosurePoint,
  ReportData,
  ReportDose,
  ReportEpoch,
  ReportObservable,
  ReportOptions,
  ReportParameter,
  ReportPoint,
  ReportResidual,
  ReportSubject,
  ReportTraining,
} from './types.js';
export { ReportDataError, validateReportData } from './validate.js';
