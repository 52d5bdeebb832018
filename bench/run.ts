/**
 * `npm run bench [-- ID ...]`: runs the benchmark workloads and prints one JSON object per
 * line on stdout (DESIGN.md §5). Unknown ids are an error listing the known ones.
 */
import { workloads } from './workloads/index.js';

async function main(): Promise<void> {
  const ids = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const known = new Map(workloads.map((w) => [w.id, w]));
  for (const id of ids) {
    if (!known.has(id)) {
      process.stderr.write(`bench: unknown workload "${id}"; known: ${[...known.keys()].join(', ')}\n`);
      process.exit(2);
    }
  }
  const chosen = ids.length > 0 ? ids.map((id) => known.get(id)!) : workloads;
  for (const w of chosen) {
    for (const rec of await w.run()) process.stdout.write(`${JSON.stringify(rec)}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
