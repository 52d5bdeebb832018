/**
 * The PEtab objective's gradient against central finite differences on a synthetic problem
 * that uses every hybridization and noise feature, and its value against a hand assembly of
 * the likelihood terms.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/autodiff/tensor.js';
import { vern7 } from '../../src/ode/methods/vern7.js';
import type { NetParams } from '../../src/petab/net.js';
import { evaluatePetab, noiseTerm, nominalPoint, type PetabPoint } from '../../src/petab/objective.js';
import { loadPetabProblem } from '../../src/petab/problem.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { testRng } from '../support/fd.js';
import { SYNTHETIC, syntheticFiles } from './synthetic.js';

const solver = { method: vern7(), rtol: 1e-12, atol: 1e-14 } as const;

function move(
  problem: Awaited<ReturnType<typeof loadPetabProblem>>,
  p: PetabPoint,
  dir: PetabPoint,
  s: number,
): PetabPoint {
  const nets: Record<string, NetParams> = {};
  for (const [id, params] of Object.entries(p.nets)) {
    const out: Record<string, Record<string, Tensor>> = {};
    for (const [layer, arrays] of Object.entries(params)) {
      out[layer] = {};
      for (const [name, t] of Object.entries(arrays)) {
        const d = dir.nets[id][layer][name].data;
        out[layer][name] = new Tensor(
          new NDArray(
            Float64Array.from(t.data, (v, i) => v + s * d[i]),
            t.shape,
          ),
        );
      }
    }
    nets[id] = out;
  }
  void problem;
  return { mech: Float64Array.from(p.mech, (v, i) => v + s * dir.mech[i]), nets };
}

describe('the PEtab objective on a synthetic problem', () => {
  it('loads: SBML semantics, networks, conditions', async () => {
    const pb = await loadPetabProblem(syntheticFiles());
    expect(pb.model.states.map((s) => s.name)).toEqual(['A', 'B', 'Src']);
    expect(pb.estimated.map((e) => e.id)).toEqual(['k1', 'k2', 'vmax', 'sigma_a', 'scale', 'u_in']);
    expect(pb.nets.map((n) => [n.id, n.static])).toEqual([
      ['dyn', false],
      ['obsnet', false],
      ['pre', true],
    ]);
    // Frozen: obsnet layer1 (layer rule), dynamic layer2.bias has its own nominal value.
    const obs = pb.nets.find((n) => n.id === 'obsnet')!;
    expect(obs.arrays.filter((a) => !a.estimated).map((a) => `${a.layer}.${a.array}`)).toEqual([
      'layer1.weight',
      'layer1.bias',
    ]);
    expect(obs.nominal.layer1.weight.data[0]).toBe(0.35);
    expect(pb.nets[0].nominal.layer2.bias.data[0]).toBe(-0.1);
    // A in cell (size 2): the amount 3 is the concentration 1.5.
    const r = evaluatePetab(pb, nominalPoint(pb), { ...solver, gradient: false });
    expect(r.failure).toBeNull();
    expect(Number.isFinite(r.value)).toBe(true);
  });

  it('has the gradient of central finite differences in every direction it depends on', async () => {
    const pb = await loadPetabProblem(syntheticFiles());
    const x0 = nominalPoint(pb);
    const r = evaluatePetab(pb, x0, solver);
    expect(r.failure).toBeNull();
    const g = r.gradient!;
    const rng = testRng(3);
    const rand = (n: number) => Float64Array.from({ length: n }, () => rng() * 2 - 1);
    for (let trial = 0; trial < 3; trial++) {
      const dir: PetabPoint = {
        mech: rand(x0.mech.length),
        nets: Object.fromEntries(
          Object.entries(x0.nets).map(([id, params]) => [
            id,
            Object.fromEntries(
              Object.entries(params).map(([layer, arrays]) => [
                layer,
                Object.fromEntries(
                  Object.entries(arrays).map(([name, t]) => [
                    name,
                    new Tensor(new NDArray(rand(t.size), t.shape)),
                  ]),
                ),
              ]),
            ),
          ]),
        ),
      };
      let analytic = 0;
      x0.mech.forEach((_, j) => {
        analytic += g.mech[j] * dir.mech[j];
      });
      const frozen: string[] = [];
      for (const n of pb.nets)
        for (const a of n.arrays) {
          const d = dir.nets[n.id][a.layer][a.array].data;
          if (!a.estimated) {
            d.fill(0);
            frozen.push(`${n.id}.${a.layer}.${a.array}`);
          }
          const ga = g.nets[n.id][a.layer][a.array];
          d.forEach((v, i) => {
            analytic += ga[i] * v;
          });
        }
      const f = (s: number) => evaluatePetab(pb, move(pb, x0, dir, s), { ...solver, gradient: false }).value;
      const h = 1e-4;
      const fd = (8 * (f(h / 2) - f(-h / 2)) - (f(h) - f(-h))) / (6 * h);
      expect(Math.abs(analytic - fd)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
      expect(frozen).toEqual(['obsnet.layer1.weight', 'obsnet.layer1.bias']);
    }
  });

  it('gives the same objective and gradient when the parameter network runs inside the dynamics', async () => {
    const a = await loadPetabProblem(syntheticFiles());
    const yaml = SYNTHETIC['problem.yaml'].replace(
      'pre: {location: pre.yaml, format: YAML, static: true}',
      'pre: {location: pre.yaml, format: YAML, static: false}',
    );
    const b = await loadPetabProblem(syntheticFiles({ 'problem.yaml': yaml }));
    expect(b.nets.find((n) => n.id === 'pre')?.static).toBe(false);
    const ra = evaluatePetab(a, nominalPoint(a), solver);
    const rb = evaluatePetab(b, nominalPoint(b), solver);
    expect(rb.value).toBeCloseTo(ra.value, 9);
    ra.gradient!.mech.forEach((v, j) => {
      expect(rb.gradient!.mech[j]).toBeCloseTo(v, 6);
    });
    const ga = ra.gradient!.nets.pre.layer1.weight;
    const gb = rb.gradient!.nets.pre.layer1.weight;
    ga.forEach((v, i) => {
      expect(gb[i]).toBeCloseTo(v, 6);
    });
  });

  it('each mechanistic parameter separately (scales lin, log, log10; priors)', async () => {
    const pb = await loadPetabProblem(syntheticFiles());
    const x0 = nominalPoint(pb);
    const g = evaluatePetab(pb, x0, solver).gradient!;
    x0.mech.forEach((_, j) => {
      const f = (s: number) => {
        const mech = x0.mech.slice();
        mech[j] += s;
        return evaluatePetab(pb, { mech, nets: x0.nets }, { ...solver, gradient: false }).value;
      };
      const h = 1e-4;
      const fd = (8 * (f(h / 2) - f(-h / 2)) - (f(h) - f(-h))) / (6 * h);
      expect(Math.abs(g.mech[j] - fd), pb.estimated[j].id).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
    });
  });

  it('noise terms: normal, log-normal (density of y) and Laplace', () => {
    const n = noiseTerm(1.3, 1, 0.5, 'lin', 'normal');
    expect(n.nll).toBeCloseTo(0.5 * Math.log(2 * Math.PI * 0.25) + (0.3 * 0.3) / (2 * 0.25), 14);
    const l = noiseTerm(2, 1.5, 0.4, 'log', 'normal');
    const r = (Math.log(2) - Math.log(1.5)) / 0.4;
    expect(l.nll).toBeCloseTo(0.5 * Math.log(2 * Math.PI) + Math.log(0.4) + 0.5 * r * r + Math.log(2), 14);
    const p = noiseTerm(2, 1.5, 0.4, 'lin', 'laplace');
    expect(p.nll).toBeCloseTo(Math.log(0.8) + 0.5 / 0.4, 14);
    for (const [t, d] of [
      ['lin', 'normal'],
      ['log', 'normal'],
      ['log10', 'laplace'],
    ] as const) {
      const e = 1e-6;
      const a = noiseTerm(2, 1.5, 0.4, t, d);
      const dh = (noiseTerm(2, 1.5 + e, 0.4, t, d).nll - noiseTerm(2, 1.5 - e, 0.4, t, d).nll) / (2 * e);
      const ds = (noiseTerm(2, 1.5, 0.4 + e, t, d).nll - noiseTerm(2, 1.5, 0.4 - e, t, d).nll) / (2 * e);
      expect(a.dh).toBeCloseTo(dh, 7);
      expect(a.ds).toBeCloseTo(ds, 7);
    }
  });
});

describe('PEtab v1 layout', () => {
  const v1 = {
    'problem.yaml': `format_version: 1
parameter_file: parameters.tsv
problems:
  - sbml_files: [model.xml]
    condition_files: [conditions.tsv]
    measurement_files: [measurements.tsv]
    observable_files: [observables.tsv]
`,
    'parameters.tsv':
      'parameterId\tparameterScale\tlowerBound\tupperBound\tnominalValue\testimate\nk1\tlog10\t0.01\t10\t0.7\t1\nsigma_a\tlin\t0.01\t5\t0.2\t1\n',
    'observables.tsv':
      'observableId\tobservableFormula\tnoiseFormula\tobservableTransformation\tnoiseDistribution\nobs_a\tA\tsigma_a\tlog\tnormal\n',
    'conditions.tsv': 'conditionId\tconditionName\tk2\tA\nc1\tfirst\t0.35\t\nc2\tsecond\t\t2\n',
    'measurements.tsv':
      'observableId\tsimulationConditionId\ttime\tmeasurement\nobs_a\tc1\t0.5\t2.4\nobs_a\tc1\t2\t1.1\nobs_a\tc2\t1\t1.5\n',
  };
  const v2 = {
    ...v1,
    'problem.yaml': `format_version: 2.0.0
model_files: {m: {location: model.xml, language: sbml}}
parameter_files: [parameters.tsv]
condition_files: [conditions.tsv]
experiment_files: [experiments.tsv]
measurement_files: [measurements.tsv]
observable_files: [observables.tsv]
`,
    'conditions.tsv': 'conditionId\ttargetId\ttargetValue\nc1\tk2\t0.35\nc2\tA\t2\n',
    'experiments.tsv': 'experimentId\ttime\tconditionId\nx1\t0\tc1\nx2\t0\tc2\n',
    'measurements.tsv':
      'observableId\texperimentId\ttime\tmeasurement\nobs_a\tx1\t0.5\t2.4\nobs_a\tx1\t2\t1.1\nobs_a\tx2\t1\t1.5\n',
  };
  it('reads a v1 problem (wide conditions, simulationConditionId, observableTransformation) like its v2 form', async () => {
    const a = await loadPetabProblem(syntheticFiles(v1));
    const b = await loadPetabProblem(syntheticFiles(v2));
    expect(a.experiments.map((x) => x.id)).toEqual(['c1', 'c2']);
    const ra = evaluatePetab(a, nominalPoint(a), solver);
    const rb = evaluatePetab(b, nominalPoint(b), solver);
    expect(ra.failure).toBeNull();
    expect(ra.value).toBeCloseTo(rb.value, 10);
    expect(Array.from(ra.gradient!.mech)).toEqual(Array.from(rb.gradient!.mech));
  });
});
