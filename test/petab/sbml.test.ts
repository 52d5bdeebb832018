/**
 * The SBML reader: semantics of species units, rules, local parameters and functions
 * against hand-derived right-hand sides, the model IR's printout, and clear errors for
 * unsupported features.
 */
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../src/expr/compile.js';
import { printModel } from '../../src/expr/print.js';
import { parseSbml } from '../../src/petab/sbml.js';
import { sbmlToModel } from '../../src/petab/sbmlModel.js';
import { SYNTHETIC } from './synthetic.js';

const none = { extraParams: [], nets: [], replacements: new Map(), observables: [] };

describe('SBML import', () => {
  it('turns species, reactions, rules and functions into the model IR', () => {
    const m = sbmlToModel(parseSbml(SYNTHETIC['model.xml'], 'model.xml'), none);
    const c = compileModel(m);
    const P = c.nParams;
    const p = m.defaultParams();
    const y0 = new Float64Array(3);
    c.initial(p, new Float64Array(0), y0, 1);
    // A: amount 3 in a compartment of size 2 → concentration 1.5; B: 0.5; Src: 1.
    expect(Array.from(y0)).toEqual([1.5, 0.5, 1]);
    const y = Float64Array.of(1.2, 0.7, 1);
    const out = new Float64Array(3);
    c.rhs(new Float64Array(1), y, p, new Float64Array(0), new Float64Array(0), out, 1);
    const cell = 2;
    const [k1, k2, kin, g, vmax] = [0.7, 0.3, 0.2, 0.1, 1];
    const r1 = cell * ((vmax * y[0]) / (0.8 + y[0]));
    const total = y[0] + y[1];
    const r2 = cell * k1 * y[1] * (1 / (1 + total));
    const r3 = cell * (kin + g + 2 * k2) * y[2];
    expect(out[0]).toBeCloseTo((-r1 + r3) / cell, 14);
    expect(out[1]).toBeCloseTo((2 * r1 - r2) / cell, 14);
    expect(out[2]).toBe(0); // boundary species
    expect(P).toBe(m.params.length);
    expect(printModel(m)).toContain('let total = A + B');
  });

  it('reads Level 2 with hasOnlySubstanceUnits (amounts) and rate rules', () => {
    const xml = `<sbml xmlns="http://www.sbml.org/sbml/level2/version4" level="2" version="4"><model id="m">
      <listOfCompartments><compartment id="c" size="4"/></listOfCompartments>
      <listOfSpecies><species id="S" compartment="c" initialConcentration="2" hasOnlySubstanceUnits="true"/></listOfSpecies>
      <listOfParameters><parameter id="k" value="0.5"/><parameter id="x" value="1" constant="false"/></listOfParameters>
      <listOfRules><rateRule variable="x"><math xmlns="http://www.w3.org/1998/Math/MathML">
        <apply><times/><apply><minus/><ci>k</ci></apply><ci>x</ci><apply><power/><csymbol encoding="text" definitionURL="http://www.sbml.org/sbml/symbols/time">t</csymbol><cn type="integer">2</cn></apply></apply>
      </math></rateRule></listOfRules>
      <listOfReactions><reaction id="d"><listOfReactants><speciesReference species="S"/></listOfReactants>
        <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML"><apply><times/><ci>k</ci><ci>S</ci></apply></math></kineticLaw>
      </reaction></listOfReactions></model></sbml>`;
    const m = sbmlToModel(parseSbml(xml, 'l2.xml'), none);
    const c = compileModel(m);
    const y0 = new Float64Array(2);
    c.initial(m.defaultParams(), new Float64Array(0), y0, 1);
    expect(Array.from(y0)).toEqual([8, 1]); // amount = 2 · 4
    const out = new Float64Array(2);
    c.rhs(
      Float64Array.of(3),
      Float64Array.of(8, 2),
      m.defaultParams(),
      new Float64Array(0),
      new Float64Array(0),
      out,
      1,
    );
    expect(Array.from(out)).toEqual([-4, -0.5 * 2 * 9]);
  });

  it('rejects what it does not support, naming it', () => {
    const wrap = (inner: string) =>
      `<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2"><model id="m">${inner}</model></sbml>`;
    expect(() => parseSbml(wrap('<listOfEvents><event id="e"/></listOfEvents>'), 'e.xml')).toThrow(/events/);
    expect(() =>
      parseSbml(
        wrap(
          '<listOfRules><algebraicRule><math xmlns="http://www.w3.org/1998/Math/MathML"><ci>x</ci></math></algebraicRule></listOfRules>',
        ),
        'a.xml',
      ),
    ).toThrow(/algebraic rules are not supported/);
    expect(() => parseSbml('<notsbml/>', 'x.xml')).toThrow(/root element is not <sbml>/);
    const unknown = wrap(
      '<listOfSpecies><species id="S" compartment="c" initialAmount="1"/></listOfSpecies><listOfCompartments><compartment id="c" size="1"/></listOfCompartments><listOfRules><rateRule variable="S"><math xmlns="http://www.w3.org/1998/Math/MathML"><apply><times/><ci>nope</ci><ci>S</ci></apply></math></rateRule></listOfRules>',
    );
    expect(() => sbmlToModel(parseSbml(unknown, 'u.xml'), none)).toThrow(/unknown symbol "nope"/);
    const floor = wrap(
      '<listOfCompartments><compartment id="c" size="1"/></listOfCompartments><listOfParameters><parameter id="x" value="1" constant="false"/></listOfParameters><listOfRules><rateRule variable="x"><math xmlns="http://www.w3.org/1998/Math/MathML"><apply><floor/><ci>x</ci></apply></math></rateRule></listOfRules>',
    );
    expect(() => sbmlToModel(parseSbml(floor, 'f.xml'), none)).toThrow(/"floor" is not supported/);
  });
});
