/**
 * The structure graph of a mechanistic model for structure-aware sparsification (HGS; Zou &
 * Tian, "Automatic and Structure-Aware Sparsification of Hybrid Neural ODEs", arXiv
 * 2505.18996): nodes are states (or super-nodes of merged states), sources are exogenous
 * inputs, and an edge u → v says that u may drive dv/dt. Some nodes are observed.
 *
 * Everything here is pure and immutable: each transformation returns a new graph.
 */
import { dependencyGraph } from '../expr/graph.js';
import { Op, topologicalOrder } from '../expr/ir.js';
import type { Model } from '../expr/model.js';

/** Where an edge comes from. */
export type EdgeOrigin = 'model' | 'closure' | 'user';

/** An edge u → v of a {@link StructureGraph}. */
export interface StructureEdge {
  /** Source: a node name or an input name. */
  readonly from: string;
  /** Target: a node name. */
  readonly to: string;
  /** Whether the source is a node (state) or an exogenous input. */
  readonly kind: 'state' | 'input';
  /** The model's own edge, a shortcut added by the pathway closure, or one the user added. */
  readonly origin: EdgeOrigin;
}

/** A node: one state, or a super-node of several merged states (a strongly connected component). */
export interface StructureNode {
  /** The node's name: the state's name, or the members joined by `+` for a super-node. */
  readonly name: string;
  /** The original states it stands for (one for a plain state). */
  readonly members: readonly string[];
}

/** A directed graph over states (nodes) and exogenous inputs, with observed nodes. */
export interface StructureGraph {
  readonly nodes: readonly StructureNode[];
  readonly inputs: readonly string[];
  readonly edges: readonly StructureEdge[];
  /** Names of the observed nodes (a super-node is observed when one of its members is). */
  readonly observed: readonly string[];
}

/** What {@link structureGraph} takes: the graph given directly by name. */
export interface StructureGraphSpec {
  /** State names (each becomes a node). */
  readonly states: readonly string[];
  /** Exogenous input names (default none). */
  readonly inputs?: readonly string[];
  /** Edges as [from, to] pairs; `from` is a state or an input, `to` a state. */
  readonly edges: readonly (readonly [string, string])[];
  /** The observed states (at least one). */
  readonly observed: readonly string[];
}

function fail(where: string, message: string): never {
  throw new Error(`${where}: ${message}`);
}

/**
 * A structure graph given directly, checked: names unique and not shared between states and
 * inputs, edges between known names into states, at least one observed state.
 *
 * @example
 * ```ts
 * const g = structureGraph({
 *   states: ['a', 'b', 'y'], inputs: ['u'],
 *   edges: [['u', 'a'], ['a', 'b'], ['b', 'a'], ['b', 'y']],
 *   observed: ['y'],
 * });
 * g.edges.length; // 4
 * ```
 */
export function structureGraph(spec: StructureGraphSpec): StructureGraph {
  const where = 'structureGraph';
  if (spec === null || typeof spec !== 'object') fail(where, 'expected { states, inputs, edges, observed }');
  const states = [...spec.states];
  const inputs = [...(spec.inputs ?? [])];
  const seen = new Set<string>();
  for (const name of [...states, ...inputs]) {
    if (typeof name !== 'string' || name.length === 0)
      fail(where, `every state and input needs a non-empty name, got ${JSON.stringify(name)}`);
    if (seen.has(name))
      fail(where, `the name "${name}" is declared twice (states and inputs share one namespace)`);
    seen.add(name);
  }
  const stateSet = new Set(states);
  const inputSet = new Set(inputs);
  const edges: StructureEdge[] = [];
  const edgeKeys = new Set<string>();
  spec.edges.forEach(([from, to], i) => {
    if (!stateSet.has(from) && !inputSet.has(from)) {
      fail(
        where,
        `edges[${i}] starts at "${from}", which is neither a state nor an input (states: ${states.join(', ')}; inputs: ${inputs.join(', ') || 'none'})`,
      );
    }
    if (!stateSet.has(to)) {
      fail(
        where,
        `edges[${i}] ends at "${to}", which is not a state (edges go into states; inputs have no incoming edges)`,
      );
    }
    const key = `${from}\u0000${to}`;
    if (edgeKeys.has(key)) return;
    edgeKeys.add(key);
    edges.push({ from, to, kind: inputSet.has(from) ? 'input' : 'state', origin: 'model' });
  });
  if (spec.observed.length === 0) fail(where, 'name at least one observed state');
  for (const o of spec.observed) {
    if (!stateSet.has(o)) fail(where, `observed "${o}" is not a state (states: ${states.join(', ')})`);
  }
  return {
    nodes: states.map((s) => ({ name: s, members: [s] })),
    inputs,
    edges,
    observed: [...new Set(spec.observed)],
  };
}

/**
 * The states that the model's observables read (each observable's expression, following
 * derived variables; networks inside observables count through their inputs).
 */
function observedStatesOf(model: Model): string[] {
  const out = new Set<number>();
  for (const o of model.observables) {
    for (const n of topologicalOrder([o.expr])) {
      if (n.op === Op.State) out.add(n.index);
      else if (n.op === Op.NetOut) {
        for (const x of model.calls[n.index].inputs) {
          for (const m of topologicalOrder([x])) if (m.op === Op.State) out.add(m.index);
        }
      }
    }
  }
  return [...out].sort((a, b) => a - b).map((i) => model.states[i].name);
}

/**
 * The structure graph of a model-language model: its dependency graph (an edge u → v when
 * state or input u appears in dv/dt, see `dependencyGraph`), with the states that the
 * observables read as the observed nodes unless `observed` names them.
 *
 * @example
 * ```ts
 * const g = graphFromModel(uvaPadovaModel());
 * g.observed; // ['Gs']
 * ```
 */
export function graphFromModel(model: Model, options: { observed?: readonly string[] } = {}): StructureGraph {
  const dep = dependencyGraph(model);
  const observed = options.observed ?? observedStatesOf(model);
  if (observed.length === 0) {
    fail(
      'graphFromModel',
      `model "${model.name}" has no observable that reads a state; pass options.observed`,
    );
  }
  return structureGraph({
    states: dep.states,
    inputs: dep.inputs,
    edges: dep.edges.map((e) => [e.from, e.to] as const),
    observed,
  });
}

/**
 * Tarjan's strongly connected components of the graph on vertices 0..n−1 (iterative, so
 * deep graphs do not overflow the call stack). Components come in reverse topological order
 * of the condensation (a component is emitted after every component it reaches), each with its
 * vertices in ascending order.
 *
 * Tarjan, "Depth-first search and linear graph algorithms", SIAM J. Comput. 1 (1972) 146–160.
 *
 * @param adjacency - adjacency[u] lists the successors of u.
 * @example
 * ```ts
 * tarjanScc([[1], [0, 2], []]); // [[2], [0, 1]]
 * ```
 */
export function tarjanScc(adjacency: readonly (readonly number[])[]): number[][] {
  const n = adjacency.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const out: number[][] = [];
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] >= 0) continue;
    // Explicit DFS stack of (vertex, next successor position).
    const work: [number, number][] = [[root, 0]];
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (work.length > 0) {
      const top = work[work.length - 1];
      const v = top[0];
      const succ = adjacency[v];
      if (top[1] < succ.length) {
        const w = succ[top[1]++];
        if (w < 0 || w >= n || !Number.isInteger(w))
          fail('tarjanScc', `adjacency[${v}] has ${w}, not a vertex 0..${n - 1}`);
        if (index[w] < 0) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          work.push([w, 0]);
        } else if (onStack[w]) {
          low[v] = Math.min(low[v], index[w]);
        }
      } else {
        work.pop();
        if (work.length > 0) {
          const parent = work[work.length - 1][0];
          low[parent] = Math.min(low[parent], low[v]);
        }
        if (low[v] === index[v]) {
          const comp: number[] = [];
          let w: number;
          do {
            w = stack.pop()!;
            onStack[w] = 0;
            comp.push(w);
          } while (w !== v);
          out.push(comp.sort((a, b) => a - b));
        }
      }
    }
  }
  return out;
}

function nodeIndex(graph: StructureGraph): Map<string, number> {
  return new Map(graph.nodes.map((n, i) => [n.name, i]));
}

/** The node-to-node adjacency (input edges left out). */
function stateAdjacency(graph: StructureGraph): number[][] {
  const at = nodeIndex(graph);
  const adj: number[][] = graph.nodes.map(() => []);
  for (const e of graph.edges) if (e.kind === 'state') adj[at.get(e.from)!].push(at.get(e.to)!);
  return adj;
}

/**
 * The strongly connected components of the graph's nodes, by name, in topological order of
 * the condensation (sources first).
 *
 * @example
 * ```ts
 * stronglyConnectedComponents(g); // e.g. [['u-driven a', …], ['Gp', 'Gt'], …]
 * ```
 */
export function stronglyConnectedComponents(graph: StructureGraph): string[][] {
  return tarjanScc(stateAdjacency(graph))
    .reverse()
    .map((c) => c.map((i) => graph.nodes[i].name));
}

/** Options of {@link condense}. */
export interface CondenseOptions {
  /**
   * Nodes to keep unmerged: a component containing any of them is not merged into a super-node
   * (its cycle stays in the graph). Default none.
   */
  readonly keepUnmerged?: readonly string[];
}

/**
 * Step 1 of HGS: merges every strongly connected component of two or more nodes into one
 * super-node (named by its members joined with `+`, members in state order), giving a DAG
 * apart from self-loops. A component with an internal edge becomes a super-node with a
 * self-loop; plain self-loops are kept. Edges between components are merged (an edge
 * keeps origin 'model' if any merged edge had it). Components containing a node named in
 * `keepUnmerged` stay as they are.
 *
 * @example
 * ```ts
 * const c = condense(graphFromModel(uvaPadovaModel()));
 * c.nodes.map((n) => n.name); // [..., 'Gp+Gt', 'Ip+Il', ...]
 * ```
 */
export function condense(graph: StructureGraph, options: CondenseOptions = {}): StructureGraph {
  const where = 'condense';
  const at = nodeIndex(graph);
  const keep = new Set(options.keepUnmerged ?? []);
  for (const k of keep)
    if (!at.has(k))
      fail(where, `keepUnmerged names "${k}", which is not a node (nodes: ${[...at.keys()].join(', ')})`);
  const comps = tarjanScc(stateAdjacency(graph));
  const groupOf = new Int32Array(graph.nodes.length);
  const groups: number[][] = [];
  for (const c of comps) {
    if (c.length > 1 && !c.some((i) => keep.has(graph.nodes[i].name))) {
      for (const i of c) groupOf[i] = groups.length;
      groups.push(c);
    } else {
      for (const i of c) {
        groupOf[i] = groups.length;
        groups.push([i]);
      }
    }
  }
  // Order the new nodes by their first member's original position.
  const order = groups.map((_, g) => g).sort((a, b) => groups[a][0] - groups[b][0]);
  const rank = new Int32Array(groups.length);
  order.forEach((g, r) => {
    rank[g] = r;
  });
  const nodes: StructureNode[] = order.map((g) => {
    const members = groups[g].flatMap((i) => graph.nodes[i].members);
    return { name: groups[g].map((i) => graph.nodes[i].name).join('+'), members };
  });
  const edges = new Map<string, StructureEdge>();
  const put = (from: string, to: string, kind: 'state' | 'input', origin: EdgeOrigin) => {
    const key = `${from}\u0000${to}`;
    const old = edges.get(key);
    if (old === undefined) edges.set(key, { from, to, kind, origin });
    else if (old.origin !== 'model' && origin === 'model') edges.set(key, { ...old, origin });
  };
  for (const e of graph.edges) {
    const to = nodes[rank[groupOf[at.get(e.to)!]]].name;
    const from = e.kind === 'input' ? e.from : nodes[rank[groupOf[at.get(e.from)!]]].name;
    put(from, to, e.kind, e.origin);
  }
  const observed = new Set<string>();
  for (const o of graph.observed) observed.add(nodes[rank[groupOf[at.get(o)!]]].name);
  return { nodes, inputs: graph.inputs, edges: [...edges.values()], observed: [...observed] };
}

/**
 * Whether the graph has no directed cycle other than self-loops.
 *
 * @example
 * ```ts
 * isAcyclicExceptSelfLoops(condense(g)); // true
 * ```
 */
export function isAcyclicExceptSelfLoops(graph: StructureGraph): boolean {
  return tarjanScc(stateAdjacency(graph)).every((c) => c.length === 1);
}

/** The shortest-path lengths (in edges) from `source` along `adj`, −1 when unreachable. */
function bfs(adj: readonly (readonly number[])[], sources: readonly number[]): Int32Array {
  const dist = new Int32Array(adj.length).fill(-1);
  const queue: number[] = [];
  for (const s of sources) {
    if (dist[s] < 0) {
      dist[s] = 0;
      queue.push(s);
    }
  }
  for (let q = 0; q < queue.length; q++) {
    const v = queue[q];
    for (const w of adj[v]) {
      if (dist[w] < 0) {
        dist[w] = dist[v] + 1;
        queue.push(w);
      }
    }
  }
  return dist;
}

/** The policy of {@link augmentPathways}. */
export interface PathwayPolicy {
  /**
   * The most intermediate nodes a shortcut may skip (default 1: u → w is added when w is two
   * edges from u along an essential pathway). 0 adds nothing.
   */
  readonly maxSkip?: number;
  /** Whether inputs may get shortcuts into states further down (default true; never into an observed node). */
  readonly inputShortcuts?: boolean;
}

/**
 * Step 2 of HGS: partial transitive closure along the essential pathways. An essential pathway
 * runs from an exogenous input to an observed node; the pathway nodes of (input i, observed o)
 * are the nodes reachable from i that reach o. For every source u on such a pathway (i itself
 * or a pathway node) and every pathway node w whose shortest distance from u within the
 * pathway is d with 2 ≤ d ≤ maxSkip + 1, the shortcut u → w is added (origin 'closure'),
 * unless u is an input and w is observed: a direct input → observed edge is never added, so
 * every input still has to act through at least one latent state.
 *
 * The paper does not publish its exact rule; this is the maximum-skip-length policy.
 *
 * @example
 * ```ts
 * const g = structureGraph({ states: ['a', 'b', 'y'], inputs: ['u'],
 *   edges: [['u', 'a'], ['a', 'b'], ['b', 'y']], observed: ['y'] });
 * augmentPathways(g, { maxSkip: 1 }).edges.filter((e) => e.origin === 'closure');
 * // u → b and a → y (u → y is never added)
 * ```
 */
export function augmentPathways(graph: StructureGraph, policy: PathwayPolicy = {}): StructureGraph {
  const where = 'augmentPathways';
  const maxSkip = policy.maxSkip ?? 1;
  if (!Number.isInteger(maxSkip) || maxSkip < 0)
    fail(where, `policy.maxSkip must be an integer ≥ 0, got ${String(maxSkip)}`);
  const inputShortcuts = policy.inputShortcuts ?? true;
  const n = graph.nodes.length;
  const at = nodeIndex(graph);
  const adj = stateAdjacency(graph);
  const radj: number[][] = graph.nodes.map(() => []);
  adj.forEach((succ, u) => {
    for (const w of succ) radj[w].push(u);
  });
  const inputSucc = new Map<string, number[]>(graph.inputs.map((i) => [i, []]));
  for (const e of graph.edges) if (e.kind === 'input') inputSucc.get(e.from)!.push(at.get(e.to)!);
  const observed = new Set(graph.observed.map((o) => at.get(o)!));
  const existing = new Set(graph.edges.map((e) => `${e.from}\u0000${e.to}`));
  const added: StructureEdge[] = [];
  const add = (from: string, to: string, kind: 'state' | 'input') => {
    const key = `${from}\u0000${to}`;
    if (existing.has(key)) return;
    existing.add(key);
    added.push({ from, to, kind, origin: 'closure' });
  };
  if (maxSkip > 0) {
    for (const input of graph.inputs) {
      const fromInput = bfs(adj, inputSucc.get(input)!); // distance from the input's targets
      for (const o of observed) {
        const toObs = bfs(radj, [o]);
        const onPath = new Uint8Array(n);
        for (let v = 0; v < n; v++) if (fromInput[v] >= 0 && toObs[v] >= 0) onPath[v] = 1;
        const pathAdj = adj.map((succ, v) => (onPath[v] ? succ.filter((w) => onPath[w] === 1) : []));
        // Shortcuts from pathway nodes.
        for (let u = 0; u < n; u++) {
          if (!onPath[u]) continue;
          const d = bfs(pathAdj, [u]);
          for (let w = 0; w < n; w++) {
            if (w !== u && d[w] >= 2 && d[w] <= maxSkip + 1)
              add(graph.nodes[u].name, graph.nodes[w].name, 'state');
          }
        }
        // Shortcuts from the input: its distance to w is 1 + the distance from its targets.
        if (inputShortcuts) {
          const starts = inputSucc.get(input)!.filter((v) => onPath[v] === 1);
          const d = bfs(pathAdj, starts);
          for (let w = 0; w < n; w++) {
            if (d[w] >= 1 && d[w] + 1 <= maxSkip + 1 && !observed.has(w))
              add(input, graph.nodes[w].name, 'input');
          }
        }
      }
    }
  }
  return { ...graph, edges: [...graph.edges, ...added] };
}

/** Domain-informed edits for {@link editGraph}. */
export interface GraphEdits {
  /** Edges to add, [from, to] (origin 'user'). */
  readonly add?: readonly (readonly [string, string])[];
  /** Edges to forbid, [from, to]: removed if present (whatever their origin). */
  readonly forbid?: readonly (readonly [string, string])[];
}

/**
 * Adds and forbids edges by name (node names after condensation, e.g. `Gp+Gt`, or input names).
 *
 * @example
 * ```ts
 * editGraph(g, { add: [['insulin', 'X']], forbid: [['Id', 'Gp+Gt']] });
 * ```
 */
export function editGraph(graph: StructureGraph, edits: GraphEdits): StructureGraph {
  const where = 'editGraph';
  const at = nodeIndex(graph);
  const inputs = new Set(graph.inputs);
  const check = (pair: readonly [string, string], what: string, i: number) => {
    const [from, to] = pair;
    if (!at.has(from) && !inputs.has(from))
      fail(
        where,
        `${what}[${i}] starts at "${from}", not a node or input (nodes: ${[...at.keys()].join(', ')}; inputs: ${graph.inputs.join(', ')})`,
      );
    if (!at.has(to))
      fail(where, `${what}[${i}] ends at "${to}", not a node (nodes: ${[...at.keys()].join(', ')})`);
  };
  (edits.add ?? []).forEach((p, i) => {
    check(p, 'add', i);
  });
  (edits.forbid ?? []).forEach((p, i) => {
    check(p, 'forbid', i);
  });
  const forbidden = new Set((edits.forbid ?? []).map(([a, b]) => `${a}\u0000${b}`));
  for (const [a, b] of edits.add ?? []) {
    if (forbidden.has(`${a}\u0000${b}`)) fail(where, `the edge ${a} → ${b} is both added and forbidden`);
  }
  const edges = graph.edges.filter((e) => !forbidden.has(`${e.from}\u0000${e.to}`));
  const have = new Set(edges.map((e) => `${e.from}\u0000${e.to}`));
  for (const [from, to] of edits.add ?? []) {
    if (have.has(`${from}\u0000${to}`)) continue;
    have.add(`${from}\u0000${to}`);
    edges.push({ from, to, kind: inputs.has(from) ? 'input' : 'state', origin: 'user' });
  }
  return { ...graph, edges };
}

/**
 * The nodes from which some observed node can be reached (observed nodes included), by name.
 *
 * @example
 * ```ts
 * nodesReachingObserved(g); // every node that can influence an observation
 * ```
 */
export function nodesReachingObserved(graph: StructureGraph): Set<string> {
  const at = nodeIndex(graph);
  const radj: number[][] = graph.nodes.map(() => []);
  for (const e of graph.edges) if (e.kind === 'state') radj[at.get(e.to)!].push(at.get(e.from)!);
  const d = bfs(
    radj,
    graph.observed.map((o) => at.get(o)!),
  );
  return new Set(graph.nodes.filter((_, i) => d[i] >= 0).map((n) => n.name));
}

/**
 * Keeps only the given edges and then only the nodes that still reach an observed node
 * (state selection); edges from or into removed nodes go too. Observed nodes always stay.
 *
 * @example
 * ```ts
 * const kept = pruneGraph(g, (e) => weightOf(e) !== 0);
 * ```
 */
export function pruneGraph(graph: StructureGraph, keepEdge: (e: StructureEdge) => boolean): StructureGraph {
  const edges = graph.edges.filter(keepEdge);
  const reach = nodesReachingObserved({ ...graph, edges });
  const nodes = graph.nodes.filter((n) => reach.has(n.name));
  const names = new Set(nodes.map((n) => n.name));
  return {
    nodes,
    inputs: graph.inputs,
    edges: edges.filter((e) => names.has(e.to) && (e.kind === 'input' || names.has(e.from))),
    observed: graph.observed,
  };
}

/**
 * The graph without some exogenous inputs and their edges (e.g. a simulator-only input such as
 * the UVA/Padova meal-size memory `Dbar` that no data set records).
 *
 * @example
 * ```ts
 * withoutInputs(graphFromModel(uvaPadovaModel()), ['Dbar']).inputs; // ['CHO', 'insulin']
 * ```
 */
export function withoutInputs(graph: StructureGraph, names: readonly string[]): StructureGraph {
  for (const u of names) {
    if (!graph.inputs.includes(u))
      fail('withoutInputs', `"${u}" is not an input (inputs: ${graph.inputs.join(', ')})`);
  }
  const drop = new Set(names);
  return {
    ...graph,
    inputs: graph.inputs.filter((u) => !drop.has(u)),
    edges: graph.edges.filter((e) => !(e.kind === 'input' && drop.has(e.from))),
  };
}

/**
 * Contracts nodes out of the graph (a domain-knowledge reduction): each removed node's parents
 * are connected to its children, so pathways through it survive as direct edges (origin
 * 'user'); removed nodes must not be observed.
 *
 * @example
 * ```ts
 * contractNodes(g, ['I1']); // Ip+Il → Id replaces Ip+Il → I1 → Id
 * ```
 */
export function contractNodes(graph: StructureGraph, names: readonly string[]): StructureGraph {
  const where = 'contractNodes';
  let g = graph;
  for (const name of names) {
    if (!g.nodes.some((n) => n.name === name))
      fail(where, `"${name}" is not a node (nodes: ${g.nodes.map((n) => n.name).join(', ')})`);
    if (g.observed.includes(name)) fail(where, `"${name}" is observed and cannot be contracted`);
    const parents = g.edges.filter((e) => e.to === name && e.from !== name);
    const children = g.edges.filter((e) => e.from === name && e.to !== name).map((e) => e.to);
    const edges = g.edges.filter((e) => e.to !== name && e.from !== name);
    const have = new Set(edges.map((e) => `${e.from}\u0000${e.to}`));
    for (const p of parents) {
      for (const c of children) {
        const key = `${p.from}\u0000${c}`;
        if (have.has(key)) continue;
        have.add(key);
        edges.push({ from: p.from, to: c, kind: p.kind, origin: 'user' });
      }
    }
    g = { ...g, nodes: g.nodes.filter((n) => n.name !== name), edges };
  }
  return g;
}
