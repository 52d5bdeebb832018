/**
 * The `greybox` command line: demo, init, check-data, simulate, fit, predict, report, bench,
 * petab-test.
 * User errors (bad arguments, config, model or data) print one line — or one line per
 * located problem — and exit with code 2; `--debug` adds the stack trace.
 */
import { Command, CommanderError } from 'commander';
import { DataError } from '../../data/problems.js';
import { ModelError } from '../../expr/model.js';
import { GbxSyntaxError } from '../../expr/source.js';
import { SolveError } from '../../ode/solve.js';
import { VERSION } from '../../version.js';
import {
  benchCommand,
  checkDataCommand,
  demoCommand,
  fitCommand,
  initCommand,
  predictCommand,
  reportCommand,
  simulateCommand,
} from './commands.js';
import { UserError } from './errors.js';
import { isPetabYaml, petabFitCommand, petabTestCommand } from './petab.js';
import { type SparsifyArgs, sparsifyCommand } from './sparsify.js';

/** Options every command accepts. */
export interface GlobalOptions {
  readonly json: boolean;
  readonly debug: boolean;
}

/** Where the CLI writes (replaced in tests). */
export interface Io {
  readonly stdout: { write(s: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(s: string): unknown; readonly isTTY?: boolean; readonly columns?: number };
  /** Current time as an ISO string (for file stamps). */
  now(): string;
}

const processIo: Io = {
  stdout: process.stdout,
  stderr: process.stderr,
  now: () => new Date().toISOString(),
};

/** Builds the command tree; each action resolves to an exit code. */
export function program(io: Io, setExit: (code: number) => void): Command {
  const cli = new Command('greybox')
    .description('Learn hybrid models: mechanistic ODEs plus neural networks, trained end to end in float64.')
    .version(VERSION)
    .option('--json', 'machine-readable output (one JSON object on stdout)', false)
    .option('--debug', 'show stack traces for errors', false)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();
  const run =
    <A extends unknown[]>(action: (io: Io, g: GlobalOptions, ...args: A) => Promise<number> | number) =>
    async (...args: A) => {
      setExit(await action(io, cli.opts<GlobalOptions>(), ...args));
    };

  cli
    .command('demo')
    .description('fit the bundled hybrid PK demo and write report.html and model.json')
    .option('--out <dir>', 'output directory', 'greybox-demo')
    .option('--epochs <n>', 'override the number of training epochs', intArg)
    .action(run((io, g, o: { out: string; epochs?: number }) => demoCommand(io, g, o)));

  cli
    .command('init')
    .description('scaffold a project: model file, config, sample data and a README')
    .argument('<dir>', 'directory to create (must be empty or absent)')
    .action(run((io, g, dir: string) => initCommand(io, g, dir)));

  cli
    .command('check-data')
    .description('validate a data file; one located problem per line, exit code 2 when invalid')
    .argument('<file>', 'CSV data file')
    .option('--format <format>', 'long, wide or nonmem (default: from the header)')
    .option('--model <file>', 'also check against a model (observables, compartments, covariates)')
    .action(
      run((io, g, file: string, o: { format?: string; model?: string }) => checkDataCommand(io, g, file, o)),
    );

  cli
    .command('simulate')
    .description(
      'simulate a model (or a fitted model) for the subjects of a data file and write predictions as CSV',
    )
    .option('--config <file>', 'project config (default: ./greybox.yaml)')
    .option(
      '--fitted <file>',
      'simulate a fitted model (model.json) instead of the config model with its defaults',
    )
    .option('--data <file>', 'data file with the subjects, doses and times (default: the project data)')
    .option('--points <n>', 'add a grid of n times per subject', intArg)
    .option('--out <file>', 'output CSV (default: stdout)')
    .action(run((io, g, o: SimulateArgs) => simulateCommand(io, g, o)));

  cli
    .command('fit')
    .description('fit the project model to its data; write model.json and report.html')
    .option('--config <file>', 'project config (default: ./greybox.yaml)')
    .option('--out <dir>', 'output directory (default: the config output)')
    .option('--epochs <n>', 'override fit.epochs', intArg)
    .option('--seed <n>', 'override fit.seed', intArg)
    .option(
      '--starts <n>',
      'independent restarts with seeds seed, seed+1, … (best validation loss wins)',
      intArg,
    )
    .option('--cv <k>', 'first estimate the held-out loss by k-fold cross-validation over subjects', intArg)
    .option('--workers <n>', 'worker threads for restarts and folds (0: one per core; default: 1)', intArg)
    .option('--no-report', 'skip report.html')
    .argument('[problem]', 'a PEtab problem YAML file (instead of a project config): fit it by L-BFGS')
    .action(
      run((io, g, problem: string | undefined, o: FitArgs) => {
        if (problem === undefined) return fitCommand(io, g, o);
        if (!isPetabYaml(problem))
          throw new UserError(
            `fit: ${problem} is not a PEtab problem file (use --config for a project config)`,
          );
        const unused = (['config', 'starts', 'cv', 'workers'] as const).filter((k) => o[k] !== undefined);
        if (unused.length > 0)
          throw new UserError(
            `fit: ${unused.map((k) => `--${k}`).join(', ')} do not apply to a PEtab problem`,
          );
        return petabFitCommand(io, g, problem, o);
      }),
    );

  cli
    .command('predict')
    .description('predictions of a fitted model at the times of a data file, as CSV')
    .requiredOption('--fitted <file>', 'fitted model (model.json)')
    .requiredOption('--data <file>', 'data file')
    .option('--format <format>', 'long, wide or nonmem (default: from the header)')
    .option('--out <file>', 'output CSV (default: stdout)')
    .action(run((io, g, o: PredictArgs) => predictCommand(io, g, o)));

  cli
    .command('report')
    .description('write the HTML report of a fitted model on a data file')
    .requiredOption('--fitted <file>', 'fitted model (model.json)')
    .requiredOption('--data <file>', 'data file')
    .option('--format <format>', 'long, wide or nonmem (default: from the header)')
    .option('--out <file>', 'output HTML file', 'report.html')
    .action(run((io, g, o: ReportArgs) => reportCommand(io, g, o)));

  cli
    .command('sparsify')
    .description(
      'HGS: find the smaller graph of a mechanistic model that forecasts the data (docs/sparsity.md); writes sparsified.gbx, graph.svg, graph.dot, sparsify.json',
    )
    .requiredOption('--model <file>', 'model file whose dependency graph is sparsified')
    .requiredOption(
      '--data <file>',
      'wide CSV (id, time, one column per observed state or observable, one per model input), regularly sampled',
    )
    .requiredOption('--history <n>', 'samples of history given to the encoder', intArg)
    .requiredOption('--horizon <n>', 'samples to forecast', intArg)
    .option('--stride <n>', 'samples between window starts (default: the horizon)', intArg)
    .option('--observed <states>', 'comma-separated observed states (default: those the observables read)')
    .option('--drop-inputs <names>', 'comma-separated model inputs the data lacks')
    .option(
      '--keep-unmerged <states>',
      'comma-separated states whose strongly connected components stay unmerged',
    )
    .option('--max-skip <n>', 'pathway closure: intermediate states a shortcut may skip (default 1)', intArg)
    .option(
      '--lambda1 <values>',
      'one λ1 (no cross-validation) or a comma-separated path for cross-validation',
    )
    .option('--folds <k>', 'cross-validation folds choosing λ1 (default 3)', intArg)
    .option('--epochs <n>', 'epochs of the first fit (default 50; the path and refit use fewer)', intArg)
    .option('--seed <n>', 'seed (default 0)', intArg)
    .option('--workers <n>', 'worker threads for the folds (0: one per core; default 1)', intArg)
    .option('--out <dir>', 'output directory', 'sparsify-out')
    .action(run((io, g, o: SparsifyArgs) => sparsifyCommand(io, g, o)));

  cli
    .command('petab-test')
    .description('run PEtab SciML test-suite cases; one JSON line per case, exit code 0 when all pass')
    .argument('<dirs...>', 'case folders (or folders of case folders)')
    .action(run((io, g, dirs: string[]) => petabTestCommand(io, g, dirs)));

  cli
    .command('bench')
    .description('run benchmark workloads; one JSON line per measurement')
    .argument('[ids...]', 'workload ids (default: all)')
    .action(run((io, g, ids: string[]) => benchCommand(io, g, ids)));

  return cli;
}

/** Arguments of `simulate`. */
export interface SimulateArgs {
  readonly config?: string;
  readonly fitted?: string;
  readonly data?: string;
  readonly points?: number;
  readonly out?: string;
}

/** Arguments of `fit`. */
export interface FitArgs {
  readonly config?: string;
  readonly out?: string;
  readonly epochs?: number;
  readonly seed?: number;
  readonly starts?: number;
  readonly workers?: number;
  readonly cv?: number;
  readonly report: boolean;
}

/** Arguments of `predict`. */
export interface PredictArgs {
  readonly fitted: string;
  readonly data: string;
  readonly format?: string;
  readonly out?: string;
}

/** Arguments of `report`. */
export interface ReportArgs extends PredictArgs {
  readonly out: string;
}

/**
 * Errors the library raises about its input — model and data errors, and the range checks
 * that name a subject, a parameter or a value — are the user's to fix, not bugs.
 */
function isInputError(e: unknown): boolean {
  return (
    e instanceof ModelError ||
    e instanceof GbxSyntaxError ||
    e instanceof DataError ||
    e instanceof SolveError ||
    e instanceof RangeError
  );
}

function intArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UserError(`expected a non-negative integer, got "${value}"`);
  return n;
}

/**
 * Runs the CLI on `argv` (without the node and script entries) and returns the exit code.
 *
 * @example
 * ```ts
 * const code = await runCli(['check-data', 'data.csv']);
 * ```
 */
export async function runCli(argv: readonly string[], io: Io = processIo): Promise<number> {
  let code = 0;
  const cli = program(io, (c) => {
    code = c;
  });
  const debug = argv.includes('--debug');
  try {
    await cli.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit with 0; usage errors were already printed by commander.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UserError || isInputError(e)) {
      io.stderr.write(`greybox: ${(e as Error).message}\n`);
      if (debug && (e as Error).stack !== undefined) io.stderr.write(`${(e as Error).stack}\n`);
      return e instanceof UserError ? e.exitCode : 2;
    }
    const err = e as Error;
    io.stderr.write(`greybox: ${err.message ?? String(e)}\n`);
    if (debug) io.stderr.write(`${err.stack ?? ''}\n`);
    else io.stderr.write('(an internal error; run again with --debug for the stack trace and report it)\n');
    return 1;
  }
}
