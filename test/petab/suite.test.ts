/**
 * The PEtab SciML test suite through greybox's importer: the bundled subset
 * (test/fixtures/petab_sciml) always, the full shared set (../shared/data/petab_sciml) when
 * it is present.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nodeFileSource } from '../../src/node/petab/files.js';
import { runTestCase } from '../../src/petab/testSuite.js';

const fixtures = fileURLToPath(new URL('../fixtures/petab_sciml/', import.meta.url));
const shared = fileURLToPath(new URL('../../../shared/data/petab_sciml/', import.meta.url));

const casesIn = (root: string, suite: string): string[] => {
  const dir = join(root, suite);
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((c) => /^\d+$/.test(c))
        .sort()
    : [];
};

for (const suite of ['sciml_problem_import', 'initialization', 'ml_model_import']) {
  describe(`${suite} (bundled subset)`, () => {
    const cases = casesIn(fixtures, suite);
    it('has cases', () => {
      expect(cases.length).toBeGreaterThan(0);
    });
    it.each(cases)('case %s passes', async (c) => {
      const r = await runTestCase(c, nodeFileSource(join(fixtures, suite, c)));
      expect(r.error).toBeUndefined();
      expect(r.suite).toBe(suite);
      expect(r.pass).toBe(true);
    });
  });
}

describe('sciml_problem_import, bundled case 001 in detail', () => {
  it('matches the reference log-likelihood, simulations and gradients far inside the tolerances', async () => {
    const r = await runTestCase('001', nodeFileSource(join(fixtures, 'sciml_problem_import', '001')));
    expect(r.llh_err).toBeLessThan(1e-6);
    expect(r.sim_err).toBeLessThan(1e-6);
    // Gradients reach 7·10³; the references are accurate to about 1e-2 there.
    expect(r.grad_err).toBeLessThan(0.02);
  });
});

const sharedCases = ['sciml_problem_import', 'initialization'].flatMap((s) =>
  casesIn(shared, s).map((c) => [s, c] as const),
);
describe.skipIf(sharedCases.length === 0)(
  'full shared suite: problems and initialization (skipped: ../shared/data/petab_sciml absent)',
  () => {
    it.each(sharedCases)('%s %s passes', async (suite, c) => {
      const r = await runTestCase(c, nodeFileSource(join(shared, suite, c)));
      expect(r.error).toBeUndefined();
      expect(r.pass).toBe(true);
    });
  },
);
