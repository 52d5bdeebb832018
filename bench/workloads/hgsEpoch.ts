/**
 * `hgs_epoch`: one training epoch of the dense MNODE (UVA/Padova graph without D̄, Gp⇄Gt and
 * Ip⇄Il merged, node networks 16-16 tanh, LSTM encoder 16, Euler rollout) on the quick
 * hgs-glucose training set (6 patients × 1 day, 210-min history → 60-min forecast, windows every
 * 30 min: 240 windows), batch 32, Adam, ms per epoch. Needs the repository checkout (the cohort
 * simulator lives in examples/repro/hgs and reads ../shared/data/simglucose).
 */
import { glucoseWindows, simulateCohort } from '../../examples/repro/hgs/glucose.js';
import type { UvaPatientName } from '../../src/models/data/uvaPatients.js';
import { uvaPadovaModel } from '../../src/models/uvaPadova.js';
import { condense, graphFromModel, withoutInputs } from '../../src/sparsity/graph.js';
import { mnode } from '../../src/sparsity/mnode.js';
import { trainMnode } from '../../src/sparsity/train.js';
import { rngKey } from '../../src/tensor/random.js';
import { record, timeCalls, type Workload } from '../harness.js';

export const hgsEpoch: Workload = {
  id: 'hgs_epoch',
  description: 'one training epoch of the dense MNODE on the quick hgs-glucose set (240 windows, batch 32)',
  run() {
    const patients = ['adolescent', 'adult', 'child'].flatMap((g) =>
      [1, 2].map((i) => `${g}#00${i}` as UvaPatientName),
    );
    const data = glucoseWindows(simulateCohort(patients, 1, 1000), 42, 12, 6);
    const graph = condense(withoutInputs(graphFromModel(uvaPadovaModel()), ['Dbar']));
    const model = mnode(graph, ['Gs'], { hidden: [16, 16], encoderHidden: 16, edgeWeights: false });
    const params = model.init(rngKey(0));
    const times = timeCalls(
      () => {
        trainMnode(model, params, data, { epochs: 1, batchSize: 32, lr: 1e-2 });
      },
      { warmupMs: 0, samples: 5, callsPerSample: 1 },
    );
    return [
      record('hgs_epoch', 'ms_per_epoch', times, (ms) => ms, {
        windows: data.n,
        batch: 32,
        history: 42,
        horizon: 12,
        nodes: model.nodes.length,
        edges: graph.edges.length,
        hidden: [16, 16],
        encoderHidden: 16,
        gradients: 'autodiff',
      }),
    ];
  },
};
