/**
 * Hands the inputs of the `rhs_vjp_*` workloads to the PyTorch peer (bench/peers/torch_rhs.py):
 * `tsx bench/peers/rhs_inputs.ts ID BATCH…` prints one JSON object with, per batch size, the
 * names of the model's states, parameters, inputs and covariates, the arrays t, y, p, u, c and
 * the cotangent exactly as the greybox workload uses them, and greybox's results (rhs, yBar,
 * pBar) so that the peer can check that it computes the same numbers.
 */
import { evaluate, rhsCase, rhsOutputs } from '../workloads/rhs.js';

const [id, ...batches] = process.argv.slice(2);
if ((id !== 'rhs_vjp_pendulum' && id !== 'rhs_vjp_uva') || batches.length === 0) {
  process.stderr.write('usage: tsx bench/peers/rhs_inputs.ts rhs_vjp_pendulum|rhs_vjp_uva BATCH...\n');
  process.exit(2);
}
const cases = batches.map((text) => {
  const q = rhsCase(id, Number(text));
  const r = rhsOutputs(q);
  evaluate(q, r);
  const m = q.model;
  return {
    batch: q.batch,
    states: m.states.map((s) => s.name),
    params: m.params.map((p) => p.name),
    inputs: m.inputs.map((u) => u.name),
    covariates: m.covariates.map((c) => c.name),
    t: [...q.t],
    y: [...q.y],
    p: [...q.p],
    u: [...q.u],
    c: [...q.c],
    outBar: [...q.outBar],
    greybox: { rhs: [...r.out], yBar: [...r.yBar], pBar: [...r.pBar] },
  };
});
process.stdout.write(`${JSON.stringify({ workload: id, cases })}\n`);
