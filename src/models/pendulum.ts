import type { Model } from '../expr/model.js';
import { parseModel } from '../expr/parse.js';

/**
 * Source text of the damped pendulum θ'' = −ω0²·sin θ − α·θ', as two first-order equations:
 *
 *   θ' = ω,   ω' = −ω0²·sin θ − α·ω.
 *
 * Time in seconds, θ in radians, ω in rad/s, ω0 in rad/s, α in 1/s. Defaults are the truth of
 * APHYNITY's pendulum benchmark (Yin et al., ICLR 2021; REPRODUCTIONS.md R1): period T0 = 6 s,
 * ω0 = 2π/6, α = 0.2. The initial state (θ, ω) = (1, 0) is only an example: R1 draws it per
 * trajectory. The observable is the angle with a small Gaussian noise (R1 itself is noise-free).
 */
export const pendulumSource = `
model pendulum "Damped pendulum: theta'' = -w0^2 sin(theta) - alpha theta'"

param w0    = 1.0471975511965976 in [0, inf] scale log   # natural frequency 2*pi/6 (rad/s)
param alpha = 0.2 in [0, inf]                            # damping rate (1/s)

state theta = 1      # angle (rad)
state omega = 0      # angular velocity (rad/s)

d/dt theta = omega
d/dt omega = -w0^2 * sin(theta) - alpha * omega

obs angle = theta ~ normal(0.01)
`;

/**
 * The damped pendulum θ'' = −ω0²·sin θ − α·θ' (states θ, ω = θ'; parameters ω0 = 2π/6 rad/s and
 * α = 0.2 1/s from APHYNITY, Yin et al. 2021). Energy E = ω²/2 + ω0²(1 − cos θ) decays as
 * dE/dt = −α·ω².
 *
 * @returns A fresh parsed {@link Model} of {@link pendulumSource}.
 * @example
 * ```ts
 * const m = pendulumModel();
 * m.states.map((s) => s.name); // ['theta', 'omega']
 * m.defaultParams();           // Float64Array [1.0471975511965976, 0.2]
 * ```
 */
export function pendulumModel(): Model {
  return parseModel(pendulumSource, { file: 'pendulum.gbx' });
}
