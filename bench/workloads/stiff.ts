/**
 * `stiff_rober` (Robertson to t = 1e11) and `stiff_hires` (HIRES to t = 321.8122): one stiff
 * solve at rtol 1e-8 with Rodas5P, ms per solve, with the final state's largest componentwise
 * relative error against the published reference (Test Set for IVP Solvers, Mazzia &
 * Magherini, release 2.4) and the work counts. The models are written in the model language
 * and compiled (analytic Jacobians come from the compiler). Tolerances and references are
 * shared with the SciPy and CVODE peers through test/fixtures/ode/stiff-references.json.
 */
import { readFileSync } from 'node:fs';
import { compileModel } from '../../src/expr/compile.js';
import { parseModel } from '../../src/expr/parse.js';
import { pid } from '../../src/ode/controller.js';
import { modelField } from '../../src/ode/modelField.js';
import { rodas5p } from '../../src/ode/rosenbrock.js';
import { solve } from '../../src/ode/solve.js';
import { record, timeCalls, type Workload } from '../harness.js';

const roberSource = `
model rober "Robertson's chemical reaction (Hairer & Wanner, Test Set for IVP Solvers)"
param k1 = 0.04
param k2 = 3e7
param k3 = 1e4
state y1 = 1
state y2 = 0
state y3 = 0
d/dt y1 = -k1*y1 + k3*y2*y3
d/dt y2 = k1*y1 - k3*y2*y3 - k2*y2^2
d/dt y3 = k2*y2^2
`;

const hiresSource = `
model hires "HIRES: light-induced plant physiology (Schäfer 1975; Test Set for IVP Solvers)"
param k1 = 1.71
param k2 = 0.43
param k3 = 8.32
param k4 = 0.69
param k5 = 0.035
param k6 = 8.32
param k7 = 280
param k8 = 0.69
param k9 = 0.69
param oks = 0.0007
state y1 = 1
state y2 = 0
state y3 = 0
state y4 = 0
state y5 = 0
state y6 = 0
state y7 = 0
state y8 = 0.0057
let r = k7*y6*y8
d/dt y1 = -k1*y1 + k2*y2 + k6*y3 + oks
d/dt y2 = k1*y1 - (k2 + k3)*y2
d/dt y3 = -(k6 + k1)*y3 + k2*y4 + k5*y5
d/dt y4 = k3*y2 + k1*y3 - (k4 + k2)*y4
d/dt y5 = -(k5 + k1)*y5 + k2*(y6 + y7)
d/dt y6 = -r + k8*y4 + k1*y5 - k2*y6 + k8*y7
d/dt y7 = r - (k2 + k8 + k9)*y7
d/dt y8 = -r + (k2 + k8 + k9)*y7
`;

interface StiffFixture {
  problems: Record<string, { t1: number; final: number[] }>;
  benchmark: { rtol: number; atol: Record<string, number> };
}

function fixture(): StiffFixture {
  const url = new URL('../../test/fixtures/ode/stiff-references.json', import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as StiffFixture;
}

function stiffWorkload(
  id: 'stiff_rober' | 'stiff_hires',
  problem: 'ROBER' | 'HIRES',
  source: string,
): Workload {
  return {
    id,
    description: `${problem} at rtol 1e-8 with Rodas5P (ms per solve)`,
    run() {
      const fx = fixture();
      const ref = fx.problems[problem];
      const rtol = fx.benchmark.rtol;
      const atol = fx.benchmark.atol[id];
      const compiled = compileModel(parseModel(source));
      const field = modelField(compiled, { n: 1 });
      const params = compiled.model.defaultParams();
      const y0 = new Float64Array(compiled.dim);
      compiled.initial(params, new Float64Array(0), y0, 1);
      const run = () =>
        solve(field, y0, {
          method: rodas5p({ autonomous: true }),
          t1: ref.t1,
          params,
          controller: pid({ rtol, atol, pcoeff: 0.4, icoeff: 0.3 }),
          maxSteps: 1_000_000,
        });
      const sol = run();
      let maxRelErr = 0;
      ref.final.forEach((r, i) => {
        maxRelErr = Math.max(maxRelErr, Math.abs(sol.yFinal[i] - r) / Math.abs(r));
      });
      const times = timeCalls(run, { warmupMs: 1000, samples: 20 });
      return [
        record(id, 'ms_per_solve', times, (ms) => ms, {
          method: 'rodas5p',
          rtol,
          atol,
          max_rel_err: maxRelErr,
          nfev: sol.stats.nfev,
          njev: sol.stats.njev,
          nlu: sol.stats.nlu,
          accepted: sol.stats.accepted,
          rejected: sol.stats.rejected,
        }),
      ];
    },
  };
}

export const stiffRober = stiffWorkload('stiff_rober', 'ROBER', roberSource);
export const stiffHires = stiffWorkload('stiff_hires', 'HIRES', hiresSource);
