/**
 * A project on disk: the config file, the model file and the data file it names, read and
 * checked with located messages.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Model } from '../../expr/model.js';
import { parseModel } from '../../expr/parse.js';
import { type ProjectConfig, parseConfig } from './config.js';
import { UserError } from './errors.js';

/** A loaded project. */
export interface Project {
  /** Absolute path of the config file. */
  readonly configPath: string;
  /** Directory that relative paths in the config are resolved against. */
  readonly dir: string;
  readonly config: ProjectConfig;
  readonly modelPath: string;
  readonly modelText: string;
  readonly model: Model;
  readonly dataPath: string;
}

/** The config file to use: the given path, or greybox.yaml / greybox.yml / greybox.json in `dir`. */
export function findConfig(given: string | undefined, dir = '.'): string {
  if (given !== undefined) {
    const path = resolve(given);
    if (existsSync(path) && statSync(path).isDirectory()) return findConfig(undefined, path);
    if (!existsSync(path)) throw new UserError(`config file ${given} does not exist`);
    return path;
  }
  for (const name of ['greybox.yaml', 'greybox.yml', 'greybox.json']) {
    const path = resolve(dir, name);
    if (existsSync(path)) return path;
  }
  throw new UserError(
    `no greybox.yaml in ${resolve(dir)}; pass --config FILE, or create a project with greybox init DIR`,
  );
}

/** Reads a text file, or fails with a one-line reason. */
export function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new UserError(
      code === 'ENOENT'
        ? `${what} ${path} does not exist`
        : `cannot read ${what} ${path}: ${(e as Error).message}`,
    );
  }
}

/** Parses a model file, turning syntax and model errors into user errors (they carry file:line:column). */
export function readModel(path: string): { text: string; model: Model } {
  const text = readText(path, 'model file');
  try {
    return { text, model: parseModel(text, { file: path }) };
  } catch (e) {
    throw new UserError((e as Error).message);
  }
}

/** Loads the project whose config is at `configPath`. */
export function loadProject(configPath: string): Project {
  const text = readText(configPath, 'config file');
  const config = parseConfig(text, configPath);
  const dir = dirname(configPath);
  const modelPath = join(dir, config.model);
  const { text: modelText, model } = readModel(modelPath);
  const dataPath = join(dir, config.data.file);
  if (!existsSync(dataPath)) {
    throw new UserError(
      `${configPath}: data.file ${config.data.file} does not exist (looked for ${dataPath})`,
    );
  }
  return { configPath, dir, config, modelPath, modelText, model, dataPath };
}

/** SHA-256 of a file's bytes, as "sha256:HEX": the data fingerprint stored in fitted models. */
export function fingerprint(path: string): string {
  return `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
}
