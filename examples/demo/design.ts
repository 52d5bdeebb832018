/**
 * The dosing and sampling design of the demo data (examples/demo/generate.ts): 100 mg oral
 * doses at 0, 12, 24 and 36 h; samples at 0.5, 1, 2, 4, 8 and 11.5 h after the first dose,
 * before and after the last dose, and until 72 h.
 */
import type { Subject } from '../../src/hybrid/subject.js';

/** The NONMEM-style columns of data.csv. */
export const DEMO_DATA_HEADER = 'ID,TIME,DV,AMT,EVID,CMT,MDV,WT';

/** Sampling times (h). */
export const DEMO_TIMES = [0.5, 1, 2, 4, 8, 11.5, 35.5, 36.5, 38, 40, 44, 48, 60, 72];

/** One subject per body weight, with the demo's doses and sampling times (no observations yet). */
export function demoDesign(weights: ArrayLike<number>): Subject[] {
  return Array.from(weights, (wt, i) => ({
    id: String(i + 1),
    times: Float64Array.from(DEMO_TIMES),
    observations: new Float64Array(DEMO_TIMES.length).fill(Number.NaN),
    doses: [0, 12, 24, 36].map((time) => ({ time, route: 'oral', amount: 100 })),
    covariates: { WT: wt },
  }));
}
