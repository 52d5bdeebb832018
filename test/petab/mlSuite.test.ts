/** The full shared `ml_model_import` cases (skipped when ../shared/data/petab_sciml is absent). */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nodeFileSource } from '../../src/node/petab/files.js';
import { runTestCase } from '../../src/petab/testSuite.js';

const dir = fileURLToPath(new URL('../../../shared/data/petab_sciml/ml_model_import/', import.meta.url));
const cases = existsSync(dir)
  ? readdirSync(dir)
      .filter((c) => /^\d+$/.test(c))
      .sort()
  : [];

describe.skipIf(cases.length === 0)(
  'ml_model_import, full shared set (skipped: ../shared/data/petab_sciml absent)',
  () => {
    it.each(cases)('case %s passes', async (c) => {
      const r = await runTestCase(c, nodeFileSource(join(dir, c)));
      expect(r.error).toBeUndefined();
      expect(r.pass).toBe(true);
    });
  },
);
