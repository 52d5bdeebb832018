import type { Workload } from '../harness.js';
import { mlpFwdBwd } from './mlp.js';

/** Every benchmark workload, in the order `npm run bench` runs them. */
export const workloads: readonly Workload[] = [mlpFwdBwd];
