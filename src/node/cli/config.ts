/**
 * The project config (`greybox.yaml` or `greybox.json`): which model and data, the solver,
 * and how to fit. Read with the `yaml` parser, which keeps every node's position, and
 * validated against a JSON Schema with `ajv`; every problem is reported as
 * `greybox.yaml line 7, column 12, fit.epochs: must be an integer ≥ 1`.
 */
import ajvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import { type Document, isMap, isPair, isScalar, LineCounter, parseDocument } from 'yaml';
import { closestName } from '../../expr/suggest.js';
import { UserError } from './errors.js';

/** The optimizer section of a config. */
export interface OptimizerConfig {
  readonly name: 'adam' | 'adamw' | 'sgd' | 'rmsprop';
  readonly lr: number;
  readonly weightDecay?: number;
  readonly momentum?: number;
  readonly clipNorm?: number;
  /** Learning-rate schedule over the epochs: constant (default) or cosine decay to lr·finalFactor. */
  readonly schedule?: 'constant' | 'cosine';
  readonly finalFactor?: number;
  /** A separate learning rate for the mechanistic parameters (default: lr). */
  readonly mechLr?: number;
}

/** A regularizer in a config. */
export interface RegularizerConfig {
  readonly kind: 'l2Weights' | 'l1Weights';
  readonly weight: number;
  readonly biases?: boolean;
}

/** The `fit` section. */
export interface FitConfig {
  readonly loss: 'mse' | 'nll';
  readonly epochs: number;
  readonly batchSize?: number;
  readonly seed: number;
  readonly optimizer: OptimizerConfig;
  readonly regularizers: readonly RegularizerConfig[];
  readonly validation?: { readonly fraction: number };
  readonly earlyStopping?: { readonly patience: number; readonly minDelta?: number };
  readonly shooting?: { readonly segments: number; readonly weight: number };
  readonly curriculum?: { readonly start: number; readonly end: number; readonly epochs: number };
  /** Full-batch L-BFGS after the epochs (iterations; 0 = none). */
  readonly polish?: { readonly iterations: number };
  /** Independent restarts from different seeds (the best by validation loss is kept). */
  readonly starts?: number;
}

/** The data section. */
export interface DataConfig {
  readonly file: string;
  readonly format?: 'long' | 'wide' | 'nonmem';
}

/** A whole project config, with defaults filled in. */
export interface ProjectConfig {
  readonly name?: string;
  readonly model: string;
  readonly data: DataConfig;
  readonly solver: {
    readonly method: string;
    readonly rtol?: number;
    readonly atol?: number;
    readonly dt?: number;
    readonly sensitivity?: 'adjoint' | 'forward';
    readonly maxSteps?: number;
  };
  readonly fit: FitConfig;
  readonly output: string;
}

const positive = { type: 'number', exclusiveMinimum: 0 } as const;

/** The JSON Schema of a project config (exported for editors and docs). */
export const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['model', 'data'],
  properties: {
    name: { type: 'string' },
    model: { type: 'string', minLength: 1, description: 'path of the model file (.gbx)' },
    data: {
      type: 'object',
      additionalProperties: false,
      required: ['file'],
      properties: {
        file: { type: 'string', minLength: 1 },
        format: { enum: ['long', 'wide', 'nonmem'] },
      },
    },
    solver: {
      type: 'object',
      additionalProperties: false,
      properties: {
        method: {
          enum: [
            'euler',
            'midpoint',
            'heun',
            'rk4',
            'bosh3',
            'dopri5',
            'tsit5',
            'vern7',
            'rodas4',
            'rodas5p',
            'kvaerno5',
          ],
        },
        rtol: positive,
        atol: positive,
        dt: positive,
        sensitivity: { enum: ['adjoint', 'forward'] },
        maxSteps: { type: 'integer', minimum: 1 },
      },
    },
    fit: {
      type: 'object',
      additionalProperties: false,
      properties: {
        loss: { enum: ['mse', 'nll'] },
        epochs: { type: 'integer', minimum: 0 },
        batchSize: { type: 'integer', minimum: 1 },
        seed: { type: 'integer', minimum: 0 },
        optimizer: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name: { enum: ['adam', 'adamw', 'sgd', 'rmsprop'] },
            lr: positive,
            mechLr: positive,
            weightDecay: { type: 'number', minimum: 0 },
            momentum: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
            clipNorm: positive,
            schedule: { enum: ['constant', 'cosine'] },
            finalFactor: { type: 'number', minimum: 0, maximum: 1 },
          },
        },
        regularizers: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['kind', 'weight'],
            properties: {
              kind: { enum: ['l2Weights', 'l1Weights'] },
              weight: { type: 'number', minimum: 0 },
              biases: { type: 'boolean' },
            },
          },
        },
        validation: {
          type: 'object',
          additionalProperties: false,
          required: ['fraction'],
          properties: { fraction: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 } },
        },
        earlyStopping: {
          type: 'object',
          additionalProperties: false,
          required: ['patience'],
          properties: { patience: { type: 'integer', minimum: 1 }, minDelta: { type: 'number', minimum: 0 } },
        },
        shooting: {
          type: 'object',
          additionalProperties: false,
          required: ['segments', 'weight'],
          properties: { segments: { type: 'integer', minimum: 1 }, weight: { type: 'number', minimum: 0 } },
        },
        curriculum: {
          type: 'object',
          additionalProperties: false,
          required: ['start', 'end', 'epochs'],
          properties: { start: positive, end: positive, epochs: { type: 'integer', minimum: 1 } },
        },
        polish: {
          type: 'object',
          additionalProperties: false,
          required: ['iterations'],
          properties: { iterations: { type: 'integer', minimum: 0 } },
        },
        starts: { type: 'integer', minimum: 1 },
      },
    },
    output: { type: 'string', minLength: 1 },
  },
} as const;

const DEFAULT_FIT: FitConfig = {
  loss: 'mse',
  epochs: 200,
  seed: 0,
  optimizer: { name: 'adam', lr: 1e-2 },
  regularizers: [],
};

/**
 * Parses and validates a project config. `text` is YAML (JSON is YAML too); every problem is
 * located by line and column and named by its key path.
 *
 * @throws UserError listing every problem, one per line.
 * @example
 * ```ts
 * const config = parseConfig('model: model.gbx\ndata: { file: data.csv }\n', 'greybox.yaml');
 * config.fit.optimizer.name; // 'adam'
 * ```
 */
export function parseConfig(text: string, file: string): ProjectConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return `${file} line ${line}, column ${col}`;
  };
  if (doc.errors.length > 0) {
    throw new UserError(doc.errors.map((e) => `${at(e.pos[0])}: ${e.message.split('\n')[0]}`).join('\n'));
  }
  const value: unknown = doc.toJS();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UserError(
      `${file}: the config must be a mapping with at least "model:" and "data:" (see greybox init)`,
    );
  }
  const validate = compiledValidator();
  if (!validate(value)) {
    const problems = (validate.errors ?? []).map((e) => describe(e, doc, at, file));
    throw new UserError([...new Set(problems)].join('\n'));
  }
  const v = value as Partial<ProjectConfig> & { model: string; data: DataConfig };
  const fit: Partial<FitConfig> = v.fit ?? {};
  return {
    ...(v.name === undefined ? {} : { name: v.name }),
    model: v.model,
    data: v.data,
    solver: { method: 'tsit5', ...(v.solver ?? {}) },
    fit: {
      ...DEFAULT_FIT,
      ...fit,
      optimizer: { ...DEFAULT_FIT.optimizer, ...(fit.optimizer ?? {}) },
      regularizers: fit.regularizers ?? [],
    },
    output: v.output ?? 'out',
  };
}

let validator: ValidateFunction | null = null;

function compiledValidator(): ValidateFunction {
  if (validator === null) {
    const ajv = new ajvModule.default({ allErrors: true, strict: true });
    validator = ajv.compile(CONFIG_SCHEMA);
  }
  return validator;
}

/** One schema violation as `FILE line L, column C, key.path: what is wrong`. */
function describe(e: ErrorObject, doc: Document, at: (offset: number) => string, file: string): string {
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  const params = e.params as Record<string, unknown>;
  let keyPath = path
    .map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`))
    .join('')
    .replace(/^\./, '');
  let offset: number | null = offsetOf(doc.getIn(path, true));
  let message: string;
  switch (e.keyword) {
    case 'additionalProperty':
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const keyNode = pairKey(doc, path, key);
      if (keyNode !== null) offset = keyNode;
      keyPath = keyPath === '' ? key : `${keyPath}.${key}`;
      const allowed = allowedKeys(path);
      const near = closestName(key, allowed);
      message =
        near !== undefined
          ? `unknown key "${key}" — did you mean "${near}"?`
          : `unknown key "${key}"${allowed.length > 0 ? `; the keys here are ${allowed.join(', ')}` : ''}`;
      break;
    }
    case 'required':
      message = `missing key "${String(params.missingProperty)}"`;
      break;
    case 'enum':
      message = `must be one of ${(params.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')}`;
      break;
    default:
      message = e.message ?? 'is not valid';
  }
  const where = offset === null ? file : at(offset);
  return `${where}${keyPath === '' ? '' : `, ${keyPath}`}: ${message}`;
}

function offsetOf(node: unknown): number | null {
  if (node !== null && typeof node === 'object' && 'range' in node) {
    const range = (node as { range?: readonly number[] | null }).range;
    if (Array.isArray(range)) return range[0];
  }
  return null;
}

/** Offset of the key `key` in the mapping at `path`, or null. */
function pairKey(doc: Document, path: readonly (string | number)[], key: string): number | null {
  const node = path.length === 0 ? doc.contents : doc.getIn(path, true);
  if (!isMap(node)) return null;
  for (const item of node.items) {
    if (isPair(item) && isScalar(item.key) && String(item.key.value) === key) return offsetOf(item.key);
  }
  return null;
}

/** The keys the schema allows in the object at `path`. */
function allowedKeys(path: readonly (string | number)[]): string[] {
  let schema: unknown = CONFIG_SCHEMA;
  for (const seg of path) {
    const s = schema as { properties?: Record<string, unknown>; items?: unknown };
    schema = typeof seg === 'number' ? s.items : s.properties?.[seg];
    if (schema === undefined) return [];
  }
  const props = (schema as { properties?: Record<string, unknown> }).properties;
  return props === undefined ? [] : Object.keys(props);
}
