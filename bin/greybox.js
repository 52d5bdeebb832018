#!/usr/bin/env node
// The `greybox` command: runs the TypeScript CLI through tsx's loader (no build step).
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/node/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2));
