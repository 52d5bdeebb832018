import type { Workload } from '../harness.js';

/** Every benchmark workload, in the order `npm run bench` runs them. */
export const workloads: readonly Workload[] = [];
