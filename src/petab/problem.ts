/**
 * A PEtab v2 problem with the SciML extension, read into greybox's objects: the SBML model
 * (plus observables, noise formulas and the networks of the dynamics) as one model IR,
 * compiled; the parameter, condition, experiment and measurement tables; the networks
 * ({@link GraphNet}) with their parameters from the array files, frozen layers and priors;
 * and the hybridization (networks in the right-hand side, in observables, or "static":
 * evaluated before the simulation to set parameters or initial values).
 *
 * Loading is asynchronous only because HDF5 decoding waits for its WebAssembly module; files
 * come through a {@link FileSource}, so the same code runs in Node and in browsers.
 */
import { parse as parseYaml } from 'yaml';
import { Tensor } from '../autodiff/tensor.js';
import type { ExprNode } from '../expr/ast.js';
import { type CompiledModel, compileModel } from '../expr/compile.js';
import { type Expr, Op, topologicalOrder } from '../expr/ir.js';
import type { Model } from '../expr/model.js';
import { NDArray } from '../tensor/ndarray.js';
import { rngKey } from '../tensor/random.js';
import { type Hdf5Arrays, readHdf5Arrays } from './hdf5.js';
import { lowerExpr, parsePetabFormula } from './lower.js';
import type { FileSource } from './mlCase.js';
import { GraphNet, type NetParams, parseNetYaml } from './net.js';
import { netParamsFromArrays } from './netArrays.js';
import { GraphNetRuntime, type NetBinding } from './netRuntime.js';
import { parseSbml } from './sbml.js';
import { type DynamicNetSpec, type ObservableSpec, sbmlToModel } from './sbmlModel.js';
import {
  booleanCell,
  cell,
  numberCell,
  PetabError,
  parseNumber,
  parseTsv,
  type Table,
  type TableRow,
} from './tables.js';

/** Estimation scale of a PEtab parameter. */
export type PetabScale = 'lin' | 'log' | 'log10';

/** A prior: −log density of the natural value x (and its derivative). */
export interface Prior {
  readonly kind: string;
  readonly params: readonly number[];
}

/** An estimated mechanistic (scalar) parameter. */
export interface EstimatedParam {
  readonly id: string;
  /** Index among the model IR's parameters. */
  readonly index: number;
  readonly scale: PetabScale;
  readonly lower: number;
  readonly upper: number;
  /** Nominal value (natural scale). */
  readonly nominal: number;
  readonly prior: Prior | null;
}

/** One array of a network's parameters and how PEtab treats it. */
export interface NetArrayInfo {
  readonly layer: string;
  readonly array: string;
  readonly estimated: boolean;
  readonly prior: Prior | null;
  readonly lower: number;
  readonly upper: number;
}

/** A network of the problem. */
export interface ProblemNet {
  readonly id: string;
  readonly net: GraphNet;
  /** Evaluated once per experiment before the simulation (PEtab SciML static hybridization). */
  readonly static: boolean;
  readonly binding: NetBinding;
  /** Nominal parameters (array files, then numeric nominal values of the parameter table). */
  readonly nominal: NetParams;
  readonly arrays: readonly NetArrayInfo[];
  /** Dynamic networks: index of the IR network call. */
  readonly call: number;
  /** Static networks: input sources per argument (IR expressions of parameters, or an array input id). */
  readonly staticInputs: readonly (
    | { kind: 'scalars'; exprs: readonly Expr[] }
    | { kind: 'array'; inputId: string }
  )[];
  /** Static networks: IR parameter index receiving each bound output. */
  readonly outputParams: readonly number[];
}

/** A measurement row. */
export interface Measurement {
  readonly observable: number;
  readonly experiment: number;
  readonly time: number;
  readonly value: number;
  /** Placeholder overrides: IR parameter ← constant or IR parameter. */
  readonly overrides: readonly {
    readonly param: number;
    readonly value: number | { readonly param: number };
  }[];
  readonly line: number;
}

/** An assignment done before the simulation of an experiment. */
export interface Assignment {
  readonly target: { readonly kind: 'param' | 'state'; readonly index: number };
  readonly expr: Expr;
}

/** An experiment: start time, condition assignments, array inputs. */
export interface Experiment {
  readonly id: string;
  readonly t0: number;
  readonly conditions: readonly string[];
  readonly assignments: readonly Assignment[];
  /** Save times (sorted, unique). */
  readonly times: Float64Array;
}

/** An observable's noise model. */
export interface ObservableNoise {
  readonly id: string;
  readonly transformation: 'lin' | 'log' | 'log10';
  readonly distribution: 'normal' | 'laplace';
}

/** A loaded PEtab (SciML) problem. */
export interface PetabProblem {
  readonly model: Model;
  readonly compiled: CompiledModel;
  readonly runtime: GraphNetRuntime;
  /** IR parameter values before estimation (SBML values, then PEtab nominal values). */
  readonly baseParams: Float64Array;
  readonly estimated: readonly EstimatedParam[];
  readonly nets: readonly ProblemNet[];
  readonly experiments: readonly Experiment[];
  readonly measurements: readonly Measurement[];
  readonly observables: readonly ObservableNoise[];
  /** Hybridization assignments from static network outputs (parameter or initial value ← output). */
  readonly staticAssignments: readonly {
    readonly target: { kind: 'param' | 'state'; index: number };
    readonly source: number;
  }[];
  /** Array inputs: input id → condition id ('0' = all) → array. */
  readonly arrayInputs: ReadonlyMap<string, ReadonlyMap<string, NDArray>>;
}

const NET_ENTITY = /^([A-Za-z_][A-Za-z0-9_]*)\.(inputs|outputs|parameters)(.*)$/;

interface NetRef {
  readonly net: string;
  readonly kind: 'inputs' | 'outputs' | 'parameters';
  /** inputs/outputs: [argument, flat index] (index −1: the whole argument); parameters: [layer?, array?]. */
  readonly arg: number;
  readonly index: readonly number[] | null;
  readonly layer: string | null;
  readonly array: string | null;
}

function parseNetRef(s: string, nets: ReadonlySet<string>, where: string): NetRef | null {
  const m = NET_ENTITY.exec(s);
  if (m === null || !nets.has(m[1])) return null;
  const [, net, kind, rest] = m;
  if (kind === 'parameters') {
    const p = /^(?:\[([^\]]+)\](?:\.([A-Za-z_][A-Za-z0-9_]*))?)?$/.exec(rest);
    if (p === null)
      throw new PetabError(`${where}: cannot read "${s}" (expected ${net}.parameters[layer].array)`);
    return { net, kind, arg: -1, index: null, layer: p[1] ?? null, array: p[2] ?? null };
  }
  const q = /^\[(\d+)\](?:\[([\d\s,]+)\])?$/.exec(rest);
  if (q === null)
    throw new PetabError(`${where}: cannot read "${s}" (expected ${net}.${kind}[argument][index])`);
  const index = q[2] === undefined ? null : q[2].split(',').map((v) => Number(v.trim()));
  return { net, kind: kind as 'inputs' | 'outputs', arg: Number(q[1]), index, layer: null, array: null };
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);

async function readTables(
  files: FileSource,
  paths: readonly string[],
  required: readonly string[],
): Promise<Table[]> {
  return Promise.all(paths.map(async (p) => parseTsv(await files.text(p), p, required)));
}

function parsePrior(row: TableRow, file: string): Prior | null {
  const kind = cell(row, 'priorDistribution') || cell(row, 'objectivePriorType');
  if (kind === '') return null;
  const text = cell(row, 'priorParameters') || cell(row, 'objectivePriorParameters');
  const params = text === '' ? [] : text.split(';').map((s) => parseNumber(s) ?? Number.NaN);
  const need: Record<string, number> = {
    normal: 2,
    laplace: 2,
    uniform: 2,
    'log-normal': 2,
    logNormal: 2,
    'log-laplace': 2,
    logLaplace: 2,
    exponential: 1,
    cauchy: 2,
  };
  if (!(kind in need))
    throw new PetabError(
      `${file} line ${row.line}: prior distribution "${kind}" is not supported (use ${Object.keys(need).join(', ')})`,
    );
  if (params.length !== need[kind] || params.some((v) => Number.isNaN(v)))
    throw new PetabError(
      `${file} line ${row.line}: prior "${kind}" needs ${need[kind]} numbers separated by ";"`,
    );
  return { kind, params };
}

function parseScale(row: TableRow, file: string): PetabScale {
  const s = cell(row, 'parameterScale') || 'lin';
  if (s !== 'lin' && s !== 'log' && s !== 'log10')
    throw new PetabError(`${file} line ${row.line}: parameterScale "${s}" must be lin, log or log10`);
  return s;
}

/**
 * Loads a PEtab (SciML) problem from its YAML file and the files it names.
 *
 * @example
 * ```ts
 * const problem = await loadPetabProblem(nodeFileSource('petab'), 'problem.yaml');
 * const r = evaluatePetab(problem, nominalPoint(problem));
 * ```
 */
export async function loadPetabProblem(files: FileSource, yamlPath = 'problem.yaml'): Promise<PetabProblem> {
  const doc = parseYaml(await files.text(yamlPath)) as Record<string, unknown>;
  if (doc === null || typeof doc !== 'object') throw new PetabError(`${yamlPath}: not a YAML mapping`);
  const problems = Array.isArray(doc.problems) ? (doc.problems as Record<string, unknown>[]) : null;
  const top = problems !== null && problems.length === 1 ? { ...doc, ...problems[0] } : doc;
  if (problems !== null && problems.length !== 1)
    throw new PetabError(`${yamlPath}: ${problems.length} problems in one file are not supported (give one)`);
  // Model.
  let sbmlPath: string;
  if (top.model_files !== undefined && typeof top.model_files === 'object' && top.model_files !== null) {
    const models = Object.entries(top.model_files as Record<string, Record<string, unknown>>);
    if (models.length !== 1)
      throw new PetabError(`${yamlPath}: exactly one model file is supported, found ${models.length}`);
    const [, m] = models[0];
    const lang = String(m.language ?? 'sbml');
    if (lang !== 'sbml')
      throw new PetabError(`${yamlPath}: model language "${lang}" is not supported (only sbml)`);
    sbmlPath = String(m.location);
  } else {
    const sb = list(top.sbml_files);
    if (sb.length !== 1) throw new PetabError(`${yamlPath}: no model_files (or sbml_files) entry`);
    sbmlPath = sb[0];
  }
  const sbml = parseSbml(await files.text(sbmlPath), sbmlPath);
  const sbmlIds = new Set<string>([
    ...sbml.parameters.map((p) => p.id),
    ...sbml.species.map((s) => s.id),
    ...sbml.compartments.map((c) => c.id),
    ...sbml.rules.map((r) => r.variable),
  ]);
  const speciesIds = new Set(sbml.species.map((s) => s.id));

  // SciML extension.
  const ext = (doc.extensions ?? top.extensions ?? {}) as Record<string, unknown>;
  const sciml = (ext.sciml ?? ext.petab_sciml ?? null) as Record<string, unknown> | null;
  const netDefs = new Map<string, { location: string; static: boolean }>();
  const arrayFiles: Hdf5Arrays[] = [];
  let hybridization: TableRow[] = [];
  let hybridFile = '';
  if (sciml !== null) {
    for (const [id, def] of Object.entries(
      (sciml.neural_networks ?? {}) as Record<string, Record<string, unknown>>,
    )) {
      const format = String(def.format ?? 'yaml').toLowerCase();
      if (format !== 'yaml')
        throw new PetabError(
          `${yamlPath}: network ${id} has format "${def.format}"; greybox reads the PEtab SciML YAML format only`,
        );
      const st = def.static ?? def.pre_initialization;
      if (typeof st !== 'boolean')
        throw new PetabError(`${yamlPath}: network ${id} needs "static" (true/false)`);
      netDefs.set(id, { location: String(def.location), static: st });
    }
    for (const p of list(sciml.array_files)) arrayFiles.push(await readHdf5Arrays(await files.bytes(p), p));
    for (const t of await readTables(files, list(sciml.hybridization_files), ['targetId', 'targetValue'])) {
      hybridization = [...hybridization, ...t.rows];
      hybridFile = t.file;
    }
  }
  const netIds = new Set(netDefs.keys());
  const graphs = new Map<string, GraphNet>();
  for (const [id, def] of netDefs)
    graphs.set(id, new GraphNet(parseNetYaml(await files.text(def.location), def.location), def.location));

  // Mapping.
  const netRefs = new Map<string, NetRef>();
  const aliases = new Map<string, string>();
  for (const t of await readTables(files, list(top.mapping_files), ['petabEntityId', 'modelEntityId'])) {
    for (const r of t.rows) {
      const pid = cell(r, 'petabEntityId');
      const mid = cell(r, 'modelEntityId');
      const ref = parseNetRef(mid, netIds, `${t.file} line ${r.line}`);
      if (ref !== null) netRefs.set(pid, ref);
      else if (pid !== mid) aliases.set(pid, mid);
    }
  }

  // Parameters.
  const paramTables = await readTables(files, list(top.parameter_files ?? top.parameter_file), [
    'parameterId',
    'estimate',
  ]);
  const mechRows: { row: TableRow; file: string }[] = [];
  const netRows: { ref: NetRef; row: TableRow; file: string }[] = [];
  for (const t of paramTables) {
    for (const r of t.rows) {
      const id = cell(r, 'parameterId');
      const ref = netRefs.get(id);
      if (ref !== undefined && ref.kind === 'parameters') netRows.push({ ref, row: r, file: t.file });
      else mechRows.push({ row: r, file: t.file });
    }
  }

  // Conditions (v2 long format or v1 wide format).
  const conditions = new Map<string, { target: string; value: string; where: string }[]>();
  for (const t of await readTables(files, list(top.condition_files), ['conditionId'])) {
    const long = t.columns.includes('targetId');
    for (const r of t.rows) {
      const id = cell(r, 'conditionId');
      const entries = conditions.get(id) ?? [];
      if (long)
        entries.push({
          target: cell(r, 'targetId'),
          value: cell(r, 'targetValue'),
          where: `${t.file} line ${r.line}`,
        });
      else
        for (const c of t.columns)
          if (c !== 'conditionId' && c !== 'conditionName' && cell(r, c) !== '')
            entries.push({ target: c, value: cell(r, c), where: `${t.file} line ${r.line}` });
      conditions.set(id, entries);
    }
  }

  // Observables.
  const obsTables = await readTables(files, list(top.observable_files), [
    'observableId',
    'observableFormula',
  ]);
  const observableSpecs: ObservableSpec[] = [];
  const observables: ObservableNoise[] = [];
  const placeholders = new Map<string, string[]>(); // observable → observable placeholders; noise ones after '|'
  const noisePlaceholders = new Map<string, string[]>();
  for (const t of obsTables) {
    for (const r of t.rows) {
      const id = cell(r, 'observableId');
      const where = `${t.file} line ${r.line}`;
      const formula = cell(r, 'observableFormula');
      const noise = cell(r, 'noiseFormula') || '1';
      const dist = (cell(r, 'noiseDistribution') || 'normal').toLowerCase();
      let transformation = (cell(r, 'observableTransformation') || 'lin') as 'lin' | 'log' | 'log10';
      let distribution: 'normal' | 'laplace';
      if (dist === 'normal' || dist === 'laplace') distribution = dist;
      else if (dist === 'log-normal' || dist === 'lognormal')
        [distribution, transformation] = ['normal', 'log'];
      else if (dist === 'log-laplace' || dist === 'loglaplace')
        [distribution, transformation] = ['laplace', 'log'];
      else
        throw new PetabError(
          `${where}: noiseDistribution "${dist}" is not supported (normal, laplace, log-normal, log-laplace)`,
        );
      if (!['lin', 'log', 'log10'].includes(transformation))
        throw new PetabError(
          `${where}: observableTransformation "${transformation}" must be lin, log or log10`,
        );
      observables.push({ id, transformation, distribution });
      observableSpecs.push({
        id,
        formula: parsePetabFormula(formula, `${where} (observableFormula)`),
        noise: parsePetabFormula(noise, `${where} (noiseFormula)`),
      });
      const named = (col: string, pattern: RegExp, text: string) => {
        const explicit = cell(r, col);
        if (explicit !== '') return explicit.split(';').map((s) => s.trim());
        return [...new Set(text.match(pattern) ?? [])].sort();
      };
      placeholders.set(
        id,
        named('observablePlaceholders', new RegExp(`observableParameter\\d+_${id}\\b`, 'g'), formula),
      );
      noisePlaceholders.set(
        id,
        named('noisePlaceholders', new RegExp(`noiseParameter\\d+_${id}\\b`, 'g'), noise),
      );
    }
  }

  // Experiments.
  const experimentRows = new Map<string, { time: number; conditions: string[]; line: string }[]>();
  for (const t of await readTables(files, list(top.experiment_files), ['experimentId', 'time'])) {
    for (const r of t.rows) {
      const id = cell(r, 'experimentId');
      const rows = experimentRows.get(id) ?? [];
      const cond = cell(r, 'conditionId');
      rows.push({
        time: numberCell(r, 'time', t.file),
        conditions: cond === '' ? [] : cond.split(';').map((s) => s.trim()),
        line: `${t.file} line ${r.line}`,
      });
      experimentRows.set(id, rows);
    }
  }

  // PEtab v1: no experiments table; each simulationConditionId of the measurements is an
  // experiment starting at t = 0 in that condition.
  if (list(top.experiment_files).length === 0) {
    for (const t of await readTables(files, list(top.measurement_files), ['observableId'])) {
      for (const r of t.rows) {
        const c = cell(r, 'simulationConditionId');
        if (c !== '' && !experimentRows.has(c))
          experimentRows.set(c, [{ time: 0, conditions: [c], line: `${t.file} line ${r.line}` }]);
      }
    }
  }

  // Which names become extra IR parameters.
  const extra = new Map<string, number>();
  const addExtra = (name: string, value: number) => {
    if (!sbmlIds.has(name) || extra.has(name)) extra.set(name, value);
  };
  for (const { row } of mechRows) {
    const id = cell(row, 'parameterId');
    const nominal = parseNumber(cell(row, 'nominalValue'));
    if (nominal === null) {
      if (!booleanCell(row, 'estimate', 'parameters'))
        throw new PetabError(`parameters line ${row.line}: "${id}" needs a numeric nominalValue`);
    }
    if (sbmlIds.has(id)) {
      if (speciesIds.has(id))
        throw new PetabError(
          `parameters line ${row.line}: "${id}" is a species; set initial values in the condition table`,
        );
      extra.set(id, nominal ?? 0);
    } else extra.set(id, nominal ?? 0);
  }
  for (const [, ph] of placeholders) for (const p of ph) addExtra(p, 0);
  for (const [, ph] of noisePlaceholders) for (const p of ph) addExtra(p, 0);
  for (const entries of conditions.values())
    for (const e of entries) if (!sbmlIds.has(aliases.get(e.target) ?? e.target)) addExtra(e.target, 0);

  // Hybridization: classify rows.
  const hyb = new Map<string, string>();
  for (const r of hybridization) hyb.set(cell(r, 'targetId'), cell(r, 'targetValue'));
  const netOf = (petabId: string) => netRefs.get(petabId);
  // Network inputs and outputs by network.
  const netInputs = new Map<string, { id: string; ref: NetRef }[]>();
  const netOutputs = new Map<string, { id: string; ref: NetRef }[]>();
  for (const [id, ref] of netRefs) {
    if (ref.kind === 'inputs') netInputs.set(ref.net, [...(netInputs.get(ref.net) ?? []), { id, ref }]);
    if (ref.kind === 'outputs') netOutputs.set(ref.net, [...(netOutputs.get(ref.net) ?? []), { id, ref }]);
  }
  // Static network outputs are parameters of the IR (values computed per experiment).
  for (const [net, outs] of netOutputs) if (netDefs.get(net)?.static) for (const o of outs) addExtra(o.id, 0);
  // Static network scalar inputs that are condition targets or parameters are IR parameters too.

  // Dynamic networks.
  const dynamic: DynamicNetSpec[] = [];
  const replacements = new Map<string, readonly [number, number]>();
  const bindings = new Map<string, NetBinding>();
  const flatIndex = (ref: NetRef, shape: readonly number[] | null, where: string): number => {
    const idx = ref.index ?? [];
    if (idx.length <= 1) return idx[0] ?? 0;
    if (shape === null) throw new PetabError(`${where}: multi-dimensional index needs a known shape`);
    let k = 0;
    idx.forEach((v, i) => {
      k = k * shape[i] + v;
    });
    return k;
  };
  for (const [id, def] of netDefs) {
    const g = graphs.get(id)!;
    const ins = netInputs.get(id) ?? [];
    const outs = netOutputs.get(id) ?? [];
    const argSizes: number[] = new Array<number>(g.nInputs).fill(0);
    for (const i of ins) {
      if (i.ref.arg >= g.nInputs)
        throw new PetabError(
          `mapping: "${i.id}" refers to input argument ${i.ref.arg}, network ${id} has ${g.nInputs}`,
        );
      if (i.ref.index !== null)
        argSizes[i.ref.arg] = Math.max(argSizes[i.ref.arg], flatIndex(i.ref, null, 'mapping') + 1);
    }
    const outputs = outs.map((o) => [o.ref.arg, flatIndex(o.ref, null, 'mapping')] as const);
    bindings.set(id, { net: g, argSizes, outputs });
    if (def.static) continue;
    const k = dynamic.length;
    const inputs: ExprNode[] = [];
    for (let a = 0; a < g.nInputs; a++) {
      for (let j = 0; j < argSizes[a]; j++) {
        const slot = ins.find((i) => i.ref.arg === a && flatIndex(i.ref, null, 'mapping') === j);
        if (slot === undefined)
          throw new PetabError(`network ${id}: input [${a}][${j}] is not mapped to a PEtab id`);
        const v = hyb.get(slot.id);
        if (v !== undefined) inputs.push(parsePetabFormula(v, `${hybridFile}: ${slot.id}`));
        else if (extra.has(slot.id)) inputs.push({ kind: 'name', name: slot.id });
        else
          throw new PetabError(
            `network ${id} (in the dynamics): input "${slot.id}" has no value; assign it in the hybridization table`,
          );
      }
    }
    if (argSizes.some((n) => n === 0))
      throw new PetabError(
        `network ${id} (in the dynamics): array inputs are only supported for static networks`,
      );
    dynamic.push({ name: id, inputs, outputs: outs.map((o) => o.id) });
    outs.forEach((o, j) => {
      replacements.set(o.id, [k, j]);
    });
  }
  // Hybridization targets set by outputs.
  const staticTargets: { target: string; source: string }[] = [];
  for (const [target, value] of hyb) {
    const src = netOf(value);
    if (src === undefined || src.kind !== 'outputs') continue;
    if (netDefs.get(src.net)?.static) staticTargets.push({ target, source: value });
    else {
      const rep = replacements.get(value)!;
      replacements.set(target, rep);
    }
  }

  const model = sbmlToModel(sbml, {
    extraParams: [...extra].map(([name, value]) => ({ name, value })),
    nets: dynamic,
    replacements,
    observables: observableSpecs,
  });
  const f = model.factory;
  const paramIdx = (name: string, where: string): number => {
    const i = model.paramIndex(aliases.get(name) ?? name);
    if (i < 0) throw new PetabError(`${where}: "${name}" is not a model or PEtab parameter`);
    return i;
  };
  const resolveParamsOnly = (where: string) => (name: string) => {
    const i = model.paramIndex(aliases.get(name) ?? name);
    if (i < 0) throw new PetabError(`${where}: "${name}" must be a parameter here`);
    return f.param(i);
  };

  // Base values and estimated parameters.
  const baseParams = model.defaultParams();
  const estimated: EstimatedParam[] = [];
  for (const { row, file } of mechRows) {
    const id = cell(row, 'parameterId');
    const i = paramIdx(id, `${file} line ${row.line}`);
    const est = booleanCell(row, 'estimate', file);
    const nominal = numberCell(row, 'nominalValue', file, Number.NaN);
    baseParams[i] = nominal;
    if (est)
      estimated.push({
        id,
        index: i,
        scale: parseScale(row, file),
        lower: numberCell(row, 'lowerBound', file, Number.NEGATIVE_INFINITY),
        upper: numberCell(row, 'upperBound', file, Number.POSITIVE_INFINITY),
        nominal,
        prior: parsePrior(row, file),
      });
  }

  // Networks: parameters, frozen arrays, priors.
  const dynIndex = new Map(dynamic.map((d, k) => [d.name, k]));
  const nets: ProblemNet[] = [];
  const arrayInputs = new Map<string, Map<string, NDArray>>();
  for (const af of arrayFiles) {
    for (const [path, arr] of af.arrays) {
      const m = /^inputs\/([^/]+)\/([^/]+)$/.exec(path);
      if (m === null) continue;
      const byCond = arrayInputs.get(m[1]) ?? new Map<string, NDArray>();
      for (const c of m[2].split(';')) byCond.set(c.trim(), arr);
      arrayInputs.set(m[1], byCond);
    }
  }
  for (const [id, def] of netDefs) {
    const g = graphs.get(id)!;
    const { params } = netParamsFromArrays(g, id, arrayFiles, rngKey(0));
    const rows = netRows.filter((r) => r.ref.net === id);
    if (rows.length === 0)
      throw new PetabError(
        `network ${id}: no row of the parameter table refers to ${id}.parameters (map it in the mapping table)`,
      );
    const specificity = (r: NetRef) => (r.array !== null ? 2 : r.layer !== null ? 1 : 0);
    const nominal: Record<string, Record<string, Tensor>> = {};
    const arrays: NetArrayInfo[] = [];
    for (const [layer, shapes] of g.parameterShapes) {
      nominal[layer] = {};
      for (const [array, shape] of Object.entries(shapes)) {
        const applicable = rows
          .filter(
            (r) =>
              (r.ref.layer === null || r.ref.layer === layer) &&
              (r.ref.array === null || r.ref.array === array),
          )
          .sort((a, b) => specificity(b.ref) - specificity(a.ref));
        const best = applicable[0];
        let value = params[layer][array];
        if (best !== undefined) {
          const nv = cell(best.row, 'nominalValue');
          const num = parseNumber(nv);
          if (num !== null) value = new Tensor(NDArray.full(shape.slice(), num));
          else if (nv !== '' && nv !== 'array' && nv !== id && !netRefs.has(nv))
            throw new PetabError(
              `${best.file} line ${best.row.line}: nominalValue "${nv}" must be a number, empty, or refer to array files`,
            );
        }
        nominal[layer][array] = value;
        const est = best === undefined ? false : booleanCell(best.row, 'estimate', best.file);
        arrays.push({
          layer,
          array,
          estimated: est && !g.isBuffer(layer, array),
          prior: best === undefined ? null : parsePrior(best.row, best.file),
          lower:
            best === undefined
              ? Number.NEGATIVE_INFINITY
              : numberCell(best.row, 'lowerBound', best.file, Number.NEGATIVE_INFINITY),
          upper:
            best === undefined
              ? Number.POSITIVE_INFINITY
              : numberCell(best.row, 'upperBound', best.file, Number.POSITIVE_INFINITY),
        });
      }
    }
    const binding = bindings.get(id)!;
    const staticInputs: ProblemNet['staticInputs'][number][] = [];
    const outputParams: number[] = [];
    if (def.static) {
      const ins = netInputs.get(id) ?? [];
      for (let a = 0; a < g.nInputs; a++) {
        const whole = ins.find((i) => i.ref.arg === a && i.ref.index === null);
        if (whole !== undefined) {
          if (!arrayInputs.has(whole.id))
            throw new PetabError(
              `network ${id}: input "${whole.id}" (a whole argument) has no array in the array files (inputs/${whole.id}/…)`,
            );
          staticInputs.push({ kind: 'array', inputId: whole.id });
          continue;
        }
        const exprs: Expr[] = [];
        for (let j = 0; j < binding.argSizes[a]; j++) {
          const slot = ins.find((i) => i.ref.arg === a && flatIndex(i.ref, null, 'mapping') === j);
          if (slot === undefined)
            throw new PetabError(`network ${id}: input [${a}][${j}] is not mapped to a PEtab id`);
          const v = hyb.get(slot.id);
          const where = `network ${id} input "${slot.id}"`;
          if (v !== undefined)
            exprs.push(lowerExpr(f, parsePetabFormula(v, where), resolveParamsOnly(where), where));
          else exprs.push(f.param(paramIdx(slot.id, where)));
        }
        if (exprs.length === 0) throw new PetabError(`network ${id}: input argument ${a} is not mapped`);
        staticInputs.push({ kind: 'scalars', exprs });
      }
      for (const o of netOutputs.get(id) ?? []) outputParams.push(paramIdx(o.id, `network ${id} output`));
    }
    nets.push({
      id,
      net: g,
      static: def.static,
      binding,
      nominal,
      arrays,
      call: dynIndex.get(id) ?? -1,
      staticInputs,
      outputParams,
    });
  }
  // Static networks run in one pass before the simulation: none may read another's output.
  const staticOutputs = new Set(nets.filter((n) => n.static).flatMap((n) => n.outputParams));
  for (const n of nets)
    for (const src of n.staticInputs)
      if (src.kind === 'scalars')
        for (const e of src.exprs)
          for (const leaf of topologicalOrder([e]))
            if (leaf.op === Op.Param && staticOutputs.has(leaf.index))
              throw new PetabError(
                `network ${n.id}: an input uses the output of a static network (${model.params[leaf.index].name}); chains of static networks are not supported`,
              );
  const staticAssignments = staticTargets.map(({ target, source }) => {
    const t = aliases.get(target) ?? target;
    const si = model.stateIndex(t);
    const where = `${hybridFile}: ${target}`;
    return {
      target:
        si >= 0
          ? { kind: 'state' as const, index: si }
          : { kind: 'param' as const, index: paramIdx(t, where) },
      source: paramIdx(source, where),
    };
  });

  // Experiments with their condition assignments.
  const expIndex = new Map<string, number>();
  const experimentList: { id: string; t0: number; conditions: string[]; assignments: Assignment[] }[] = [];
  for (const [id, rows] of experimentRows) {
    if (rows.length !== 1)
      throw new PetabError(
        `experiment ${id}: ${rows.length} periods; experiments with several periods are not supported`,
      );
    const { time, conditions: conds, line } = rows[0];
    if (!Number.isFinite(time))
      throw new PetabError(`${line}: pre-equilibration (time ${time}) is not supported`);
    const assignments: Assignment[] = [];
    for (const c of conds) {
      const entries = conditions.get(c);
      if (entries === undefined) {
        // A condition id known only to the array files (array inputs per condition) is fine.
        if ([...arrayInputs.values()].some((m) => m.has(c))) continue;
        throw new PetabError(`${line}: condition "${c}" is not in the condition table`);
      }
      for (const e of entries) {
        const t = aliases.get(e.target) ?? e.target;
        const si = model.stateIndex(t);
        const expr = lowerExpr(f, parsePetabFormula(e.value, e.where), resolveParamsOnly(e.where), e.where);
        assignments.push({
          target: si >= 0 ? { kind: 'state', index: si } : { kind: 'param', index: paramIdx(t, e.where) },
          expr,
        });
      }
    }
    expIndex.set(id, experimentList.length);
    experimentList.push({ id, t0: time, conditions: conds, assignments });
  }

  // Measurements.
  const measurements: Measurement[] = [];
  const obsIndex = new Map(observables.map((o, i) => [o.id, i]));
  const times: number[][] = experimentList.map(() => []);
  for (const t of await readTables(files, list(top.measurement_files), [
    'observableId',
    'measurement',
    'time',
  ])) {
    for (const r of t.rows) {
      const where = `${t.file} line ${r.line}`;
      const o = obsIndex.get(cell(r, 'observableId'));
      if (o === undefined)
        throw new PetabError(`${where}: unknown observableId "${cell(r, 'observableId')}"`);
      let expId = cell(r, 'experimentId');
      if (expId === '' && cell(r, 'simulationConditionId') !== '') {
        expId = cell(r, 'simulationConditionId');
      }
      const e = expIndex.get(expId);
      if (e === undefined) throw new PetabError(`${where}: unknown experimentId "${expId}"`);
      if (cell(r, 'preequilibrationConditionId') !== '')
        throw new PetabError(`${where}: pre-equilibration is not supported`);
      const time = numberCell(r, 'time', t.file);
      if (!(time >= experimentList[e].t0))
        throw new PetabError(`${where}: time ${time} is before the experiment starts`);
      const overrides: Measurement['overrides'][number][] = [];
      const obsId = observables[o].id;
      const bind = (names: readonly string[], col: string) => {
        const text = cell(r, col);
        const values = text === '' ? [] : text.split(';').map((s) => s.trim());
        if (values.length !== names.length && !(values.length === 0 && names.length === 0))
          throw new PetabError(
            `${where}: ${col} has ${values.length} values; observable ${obsId} has ${names.length} placeholders`,
          );
        names.forEach((name, k) => {
          const num = parseNumber(values[k]);
          overrides.push({
            param: paramIdx(name, where),
            value: num !== null ? num : { param: paramIdx(values[k], where) },
          });
        });
      };
      bind(placeholders.get(obsId) ?? [], 'observableParameters');
      bind(noisePlaceholders.get(obsId) ?? [], 'noiseParameters');
      measurements.push({
        observable: o,
        experiment: e,
        time,
        value: numberCell(r, 'measurement', t.file),
        overrides,
        line: r.line,
      });
      times[e].push(time);
    }
  }
  const experiments: Experiment[] = experimentList.map((x, e) => ({
    ...x,
    times: Float64Array.from([...new Set(times[e])].sort((a, b) => a - b)),
  }));

  const dyn = nets.filter((n) => !n.static).sort((a, b) => a.call - b.call);
  const runtime = new GraphNetRuntime(
    dyn.map((n) => n.binding),
    dyn.map((n) => n.nominal),
  );
  const compiled = compileModel(model, { nets: runtime });
  for (const e of estimated) {
    if (!(e.lower <= e.nominal && e.nominal <= e.upper) && !Number.isNaN(e.nominal))
      throw new PetabError(
        `parameter ${e.id}: nominal value ${e.nominal} lies outside [${e.lower}, ${e.upper}]`,
      );
  }
  return {
    model,
    compiled,
    runtime,
    baseParams,
    estimated,
    nets,
    experiments,
    measurements,
    observables,
    staticAssignments,
    arrayInputs,
  };
}
