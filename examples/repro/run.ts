/**
 * `npm run repro -- ID [--quick] [--seed N]`: runs one reproduction (examples/repro/ID.ts),
 * writes its results page to docs/results/, and prints its metrics as the last stdout line.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Experiment } from './experiment.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const resultsDir = fileURLToPath(new URL('../../docs/results/', import.meta.url));

function known(): string[] {
  return readdirSync(here)
    .filter((f) => f.endsWith('.ts') && !['run.ts', 'experiment.ts'].includes(f) && !f.startsWith('_'))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const seedAt = args.indexOf('--seed');
  const seed = seedAt >= 0 ? Number(args[seedAt + 1]) : 0;
  if (!Number.isInteger(seed) || seed < 0) {
    process.stderr.write(`repro: --seed needs a non-negative integer, got "${args[seedAt + 1]}"\n`);
    return 2;
  }
  const ids = args.filter((a, i) => !a.startsWith('--') && !(seedAt >= 0 && i === seedAt + 1));
  if (ids.length !== 1 || !existsSync(join(here, `${ids[0]}.ts`))) {
    process.stderr.write(
      `usage: npm run repro -- ID [--quick] [--seed N]; experiments: ${known().join(', ')}\n`,
    );
    return 2;
  }
  const id = ids[0];
  const module = (await import(`./${id}.ts`)) as { experiment?: Experiment };
  const experiment = module.experiment;
  if (experiment === undefined || experiment.id !== id) {
    process.stderr.write(`repro: examples/repro/${id}.ts must export an experiment with id "${id}"\n`);
    return 2;
  }
  const command = `npm run repro -- ${id}${quick ? ' --quick' : ''}${seed !== 0 ? ` --seed ${seed}` : ''}`;
  const started = Date.now();
  const result = await experiment.run({
    quick,
    seed,
    command,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  mkdirSync(resultsDir, { recursive: true });
  const page = `${id}${quick ? '.quick' : ''}.md`;
  writeFileSync(join(resultsDir, page), result.page.endsWith('\n') ? result.page : `${result.page}\n`);
  for (const [name, content] of Object.entries(result.files ?? {}))
    writeFileSync(join(resultsDir, name), content);
  process.stderr.write(
    `repro: wrote docs/results/${page} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
  );
  process.stdout.write(`${JSON.stringify({ experiment: id, quick, seed, ...result.metrics })}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`repro: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
