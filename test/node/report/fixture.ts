/**
 * Report data for tests: a hybrid one-compartment PK model (a network in the central
 * compartment's equation, an input, a comparison `<` in the text), subjects whose ids need
 * escaping, analytic predictions with deterministic "noise", a training history with
 * validation loss, parameters with true values and standard errors, and closure magnitudes.
 */
import { dependencyGraph } from '../../../src/expr/graph.js';
import { parseModel } from '../../../src/expr/parse.js';
import type {
  ReportData,
  ReportPoint,
  ReportResidual,
  ReportSubject,
} from '../../../src/node/report/index.js';

/** A subject id with every character HTML gives meaning to. */
export const NASTY_ID = `<script>alert("id")</script> & 'S2'`;

export const MODEL_TEXT = `# hybrid PK: elimination plus a learned correction <F> & a food effect
model pk_hybrid "One compartment <PK> & a \\"closure\\""

param ka = 1.2 in [0.01, 10] scale log
param ke = 0.3 in [0.01, 5] scale log
param V  = 10 in [1, 100]
input food interp step
state gut = 0
state central = 0
net F(central, food) -> (a) : mlp(8, tanh)

d/dt gut = -ka * gut
d/dt central = ka * gut - ke * central + F.a + (if central < 1 then food else 0)

obs conc = central / V ~ normal(0.1)
dose oral -> gut bolus
dose iv -> central infusion
`;

const KA = 1.2;
const KE = 0.3;
const V = 10;

/** Concentration after an oral bolus `dose` at time 0 (Bateman function). */
function bateman(dose: number, t: number): number {
  return ((dose * KA) / (V * (KA - KE))) * (Math.exp(-KE * t) - Math.exp(-KA * t));
}

/** Deterministic pseudo-noise in [−0.05, 0.05]. */
const wiggle = (i: number) => 0.05 * Math.sin(12.9898 * (i + 1));

function subject(
  id: string,
  dose: number,
  k: number,
): { subject: ReportSubject; residuals: ReportResidual[] } {
  const times = [0.5, 1, 2, 3, 4, 6, 8, 12];
  const observed: ReportPoint[] = times.map((t, i) => ({ t, y: bateman(dose, t) + wiggle(i + 10 * k) }));
  const predicted: ReportPoint[] = Array.from({ length: 121 }, (_, i) => ({
    t: i / 10,
    y: bateman(dose, i / 10),
  }));
  const gut: ReportPoint[] = predicted.map((p) => ({ t: p.t, y: dose * Math.exp(-KA * p.t) }));
  const residuals = observed.map((o) => ({
    subject: id,
    observable: 'conc',
    t: o.t,
    residual: o.y - bateman(dose, o.t),
    predicted: bateman(dose, o.t),
  }));
  return {
    subject: {
      id,
      observables: [
        { name: 'conc', observed, predicted },
        { name: 'gut <amount>', observed: [], predicted: gut },
      ],
      doses: [
        { time: 0, amount: dose, route: 'oral' },
        { time: 6, rate: 2, duration: 1.5, route: 'iv' },
      ],
    },
    residuals,
  };
}

/** Report data with `subjects` subjects (the second one has {@link NASTY_ID}). */
export function reportFixture(subjects = 3): ReportData {
  const model = parseModel(MODEL_TEXT, { file: 'pk_hybrid.gbx' });
  const made = Array.from({ length: subjects }, (_, k) =>
    subject(k === 1 ? NASTY_ID : `S${k + 1}`, 100 + 20 * k, k),
  );
  const epochs = Array.from({ length: 40 }, (_, i) => ({
    epoch: i + 1,
    loss: 2 / (1 + i) + 0.01,
    valLoss: 2.2 / (1 + i) + 0.015 + (i > 30 ? 0.002 * (i - 30) : 0),
  }));
  const closure = made.flatMap(({ subject: s }, k) =>
    Array.from({ length: 61 }, (_, i) => ({
      net: 'F',
      output: 'a',
      t: i / 5,
      magnitude: Math.abs(0.2 * Math.sin(i / 5 + k)) * Math.exp(-i / 40),
      subject: s.id,
    })),
  );
  return {
    title: 'Fit of pk_hybrid <test> & "report"',
    modelName: 'pk_hybrid',
    modelText: MODEL_TEXT,
    generatedAt: '2024-05-01T12:00:00.000Z',
    library: { name: 'greybox', version: '0.1.0' },
    seed: 42,
    dataFingerprint: 'sha256:0123456789abcdef',
    subjects: made.map((m) => m.subject),
    residuals: made.flatMap((m) => m.residuals),
    training: {
      epochs,
      events: [
        'learning rate halved at epoch 20 (NaN <rollback>)',
        'early stopping at epoch 40; best epoch 31',
      ],
    },
    parameters: [
      { name: 'ka', value: KA, scale: 'log', lower: 0.01, upper: 10, initial: 1, trueValue: 1.25, std: 0.08 },
      { name: 'ke', value: KE, scale: 'log', lower: 0.01, upper: 5, initial: 0.5, trueValue: 0.3, std: 0.02 },
      { name: 'V', value: 100, scale: 'lin', lower: 1, upper: 100, initial: 10 },
    ],
    closure,
    graph: dependencyGraph(model),
    metrics: { RMSE: 0.0345, 'final loss <train>': epochs[epochs.length - 1].loss, epochs: epochs.length },
    notes: ['Residuals are unweighted & in <mg/L>.'],
  };
}
