/**
 * `greybox petab-test CASE_DIR…`: runs PEtab SciML test-suite cases, one JSON line per case
 * on stdout, exit code 0 when all pass (1 otherwise).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type CaseOutcome, runTestCase } from '../../petab/testSuite.js';
import { nodeFileSource } from '../petab/files.js';
import { UserError } from './errors.js';
import type { GlobalOptions, Io } from './main.js';

/**
 * The case folders under `dir`: `dir` itself when it holds a `solutions.yaml`, else its
 * sub-folders that do (one level, then two: a suite folder or the whole test-suite folder).
 *
 * @example
 * ```ts
 * caseFolders('petab_sciml/ml_model_import').length; // 54
 * ```
 */
export function caseFolders(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UserError(`petab-test: "${dir}" is not a folder`);
  if (existsSync(join(dir, 'solutions.yaml'))) return [dir];
  const subs = readdirSync(dir)
    .sort()
    .map((d) => join(dir, d))
    .filter((d) => statSync(d).isDirectory());
  const direct = subs.filter((d) => existsSync(join(d, 'solutions.yaml')));
  if (direct.length > 0) return direct;
  const nested = subs.flatMap((d) =>
    readdirSync(d)
      .sort()
      .map((x) => join(d, x))
      .filter((x) => statSync(x).isDirectory() && existsSync(join(x, 'solutions.yaml'))),
  );
  if (nested.length === 0)
    throw new UserError(`petab-test: no test case (a folder with solutions.yaml) in "${dir}"`);
  return nested;
}

/** Runs the cases in `dirs` (case folders, suite folders or the suite root). */
export async function runCases(dirs: readonly string[]): Promise<CaseOutcome[]> {
  const out: CaseOutcome[] = [];
  for (const d of dirs)
    for (const c of caseFolders(d)) out.push(await runTestCase(basename(c), nodeFileSource(c)));
  return out;
}

/** The `petab-test` command. */
export async function petabTestCommand(io: Io, _g: GlobalOptions, dirs: readonly string[]): Promise<number> {
  if (dirs.length === 0) throw new UserError('petab-test: give at least one case folder');
  let all = true;
  for (const d of dirs) {
    for (const c of caseFolders(d)) {
      const r = await runTestCase(basename(c), nodeFileSource(c));
      io.stdout.write(`${JSON.stringify(r)}\n`);
      all &&= r.pass;
    }
  }
  return all ? 0 : 1;
}
