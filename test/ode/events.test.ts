/**
 * State-dependent events: located at their exact times (against closed forms), stopping a
 * trajectory or changing its state, independently per trajectory.
 */
import { describe, expect, it } from 'vitest';
import { pid } from '../../src/ode/controller.js';
import type { VectorField } from '../../src/ode/field.js';
import { dopri5 } from '../../src/ode/methods/dopri5.js';
import { tsit5 } from '../../src/ode/methods/tsit5.js';
import { rodas5p } from '../../src/ode/rosenbrock.js';
import { saveAt, solve } from '../../src/ode/solve.js';

/** Free fall: height and velocity, y'' = −g (g = p[0]). */
const fall: VectorField = {
  dim: 2,
  nParams: 1,
  f(_t, y, p, out, n, rows) {
    for (let q = 0; q < n; q++) {
      const b = rows === null ? q : rows[q];
      out[2 * b] = y[2 * b + 1];
      out[2 * b + 1] = -p[b];
    }
  },
  vjp(_t, _y, _p, ob, yb, pb, n, rows) {
    for (let q = 0; q < n; q++) {
      const b = rows === null ? q : rows[q];
      yb[2 * b] = 0;
      yb[2 * b + 1] = ob[2 * b];
      pb[b] -= ob[2 * b + 1];
    }
  },
  jac(_t, _y, _p, J, n, rows) {
    for (let q = 0; q < n; q++) {
      const b = rows === null ? q : rows[q];
      J.set([0, 1, 0, 0], 4 * b);
    }
  },
};

const ground = (_t: number, y: Float64Array, o: number) => y[o];

describe('events', () => {
  it('a bouncing ball bounces at the exact times, per trajectory', () => {
    const e = 0.8; // restitution
    for (const method of [dopri5(), tsit5(), rodas5p({ autonomous: true })]) {
      const sol = solve(fall, new Float64Array([1, 0, 2, 0]), {
        method,
        t1: 3,
        params: new Float64Array([9.81, 9.81]),
        controller: pid({ rtol: 1e-10, atol: 1e-12 }),
        events: [
          {
            condition: ground,
            direction: 'down',
            action: (_t, y, o) => {
              y[o] = 0;
              y[o + 1] = -e * y[o + 1];
            },
          },
        ],
      });
      for (const [b, h0] of [
        [0, 1],
        [1, 2],
      ]) {
        // First impact at √(2h/g), then each flight lasts e times the previous one.
        const t0 = Math.sqrt((2 * h0) / 9.81);
        const expected: number[] = [t0];
        let flight = (2 * e * Math.sqrt(2 * 9.81 * h0)) / 9.81;
        while (expected[expected.length - 1] + flight < 3) {
          expected.push(expected[expected.length - 1] + flight);
          flight *= e;
        }
        const got = sol.events.filter((x) => x.trajectory === b).map((x) => x.time);
        expect(got.length, `${method.name} trajectory ${b}`).toBe(expected.length);
        got.forEach((tEv, i) => {
          expect(Math.abs(tEv - expected[i])).toBeLessThan(1e-8);
        });
      }
    }
  });

  it("'stop' ends the trajectory at the event, keeping saves before it", () => {
    const sol = solve(fall, new Float64Array([1, 0, 5, 0]), {
      method: dopri5(),
      t1: 2,
      params: new Float64Array([9.81, 9.81]),
      controller: pid({ rtol: 1e-10, atol: 1e-12 }),
      saveat: saveAt.times(new Float64Array([0.1, 0.2, 0.5, 0.9, 1.5])),
      events: [{ condition: ground, action: 'stop' }],
    });
    const tHit0 = Math.sqrt(2 / 9.81); // 0.4515
    expect(Math.abs(sol.events[0].time - tHit0)).toBeLessThan(1e-9);
    expect(Array.from(sol.ts[0])).toEqual([0.1, 0.2]);
    expect(Math.abs(sol.yFinal[0])).toBeLessThan(1e-9);
    // The other trajectory (from 5 m, impact at 1.0096 s) stops later and keeps its saves.
    expect(Array.from(sol.ts[1])).toEqual([0.1, 0.2, 0.5, 0.9]);
    expect(sol.status).toEqual(['success', 'success']);
  });

  it('records events for gradients: time, index and the state before and after', () => {
    const sol = solve(fall, new Float64Array([1, 0]), {
      method: dopri5(),
      t1: 0.8,
      params: new Float64Array([9.81]),
      events: [
        {
          condition: ground,
          direction: 'down',
          action: (_t, y, o) => {
            y[o + 1] *= -0.5;
          },
        },
      ],
      recordForAdjoint: true,
    });
    const r = sol.records![0];
    expect(sol.events.length).toBe(1);
    expect(r.eventTime).toEqual([sol.events[0].time]);
    expect(r.eventIndex).toEqual([0]);
    // The step that ends at the event is the one before eventStep; the next starts after it.
    const m = r.eventStep[0];
    expect(r.t[m - 1] + r.h[m - 1]).toBe(r.eventTime[0]);
    expect(r.t[m]).toBe(r.eventTime[0]);
    expect(r.eventAfter[1]).toBe(-0.5 * r.eventBefore[1]);
    expect(r.y.slice(2 * m, 2 * m + 2)).toEqual(r.eventAfter);
  });
});
