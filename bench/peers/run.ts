/**
 * `npm run bench:peers [-- ID ...]`: runs greybox's workloads and every installed peer's
 * equivalents side by side in one run, printing one JSON object per line on stdout
 * (DESIGN.md §5). A peer that is not installed is skipped with a note on stderr.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workloads } from '../workloads/index.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Debian's interpreter, where python3-torch / python3-scipy install. */
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

interface Peer {
  /** Name for messages. */
  name: string;
  /** Workload ids it implements. */
  workloads: readonly string[];
  /** How to tell whether it is installed. */
  available(): boolean;
  /** Command to run it for the given ids. */
  command(ids: readonly string[]): [string, string[]];
  /** How to install it. */
  install: string;
  /** Builds it when needed (compiled peers); returns false, having said why on stderr, when it cannot. */
  prepare?(): boolean;
}

function pythonHas(module: string): boolean {
  return spawnSync(python, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0;
}

const peers: readonly Peer[] = [
  {
    name: 'pytorch',
    workloads: ['matmul_64', 'matmul_256', 'matmul_25x64x64', 'mlp_fwd_bwd'],
    available: () => pythonHas('torch'),
    command: (ids) => [python, [join(here, 'torch_core.py'), ...ids]],
    install: 'apt-get install -y python3-torch',
  },
  {
    name: 'pytorch',
    workloads: ['rhs_vjp_pendulum', 'rhs_vjp_uva'],
    available: () => pythonHas('torch'),
    command: (ids) => [python, [join(here, 'torch_rhs.py'), ...ids]],
    install: 'apt-get install -y python3-torch',
  },
  {
    name: 'pytorch',
    workloads: ['w1_hybrid_fit_step', 'w2_mech_fit_step'],
    available: () => pythonHas('torch'),
    command: (ids) => [python, [join(here, 'torch_fit.py'), ...ids]],
    install: 'apt-get install -y python3-torch',
  },
  {
    name: 'scipy',
    workloads: ['stiff_rober', 'stiff_hires'],
    available: () => pythonHas('scipy.integrate'),
    command: (ids) => [python, [join(here, 'scipy_stiff.py'), ...ids]],
    install: 'apt-get install -y python3-scipy',
  },
  {
    name: 'cvode',
    workloads: ['stiff_rober', 'stiff_hires'],
    available: () => existsSync('/usr/include/cvode/cvode.h') || process.env.SUNDIALS_DIR !== undefined,
    command: (ids) => [join(here, '.build', 'cvode_stiff'), [...ids]],
    install: 'apt-get install -y libsundials-dev',
    prepare: () => {
      // Compiled on demand into bench/peers/.build/ (git-ignored); a no-op when up to date.
      const r = spawnSync('bash', [join(here, 'build-cvode.sh')], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      if (r.status !== 0)
        process.stderr.write(`bench:peers: building the CVODE peer failed (exit ${r.status})\n`);
      return r.status === 0;
    },
  },
];

async function main(): Promise<void> {
  const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  // Workloads that only peers implement so far (the stiff ones before greybox's side lands) run too.
  const known = [...new Set([...workloads.map((w) => w.id), ...peers.flatMap((p) => p.workloads)])];
  const ids = requested.length > 0 ? requested : known;
  for (const id of ids) {
    const w = workloads.find((x) => x.id === id);
    if (w === undefined && !known.includes(id)) {
      process.stderr.write(`bench:peers: unknown workload "${id}"\n`);
      process.exit(2);
    }
    if (w === undefined)
      process.stderr.write(`bench:peers: no greybox workload "${id}" yet; running its peers\n`);
    else for (const rec of await w.run()) process.stdout.write(`${JSON.stringify(rec)}\n`);
    for (const peer of peers) {
      if (!peer.workloads.includes(id)) continue;
      if (!peer.available()) {
        process.stderr.write(
          `bench:peers: skipping ${peer.name} for ${id}: not installed (${peer.install})\n`,
        );
        continue;
      }
      if (peer.prepare !== undefined && !peer.prepare()) continue;
      const [cmd, args] = peer.command([id]);
      const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      if (r.status !== 0) {
        process.stderr.write(`bench:peers: ${peer.name} failed on ${id} (exit ${r.status})\n`);
        continue;
      }
      process.stdout.write(r.stdout);
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:peers: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
