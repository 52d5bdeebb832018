/**
 * A small synthetic PEtab SciML problem held in memory, exercising what the shared cases do
 * not: compartment sizes ≠ 1 (concentrations), local parameters, assignment rules, function
 * definitions, initial assignments, log/log10 scales, priors, log-normal and Laplace noise,
 * noise placeholders, condition assignments of parameters and initial values, a static
 * network with an estimated input and a dynamic network in the dynamics and one in an
 * observable, frozen layers.
 */
import type { FileSource } from '../../src/petab/mlCase.js';

const sbml = `<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
  <model id="synthetic">
    <listOfFunctionDefinitions>
      <functionDefinition id="mm">
        <math xmlns="http://www.w3.org/1998/Math/MathML">
          <lambda><bvar><ci>v</ci></bvar><bvar><ci>s</ci></bvar><bvar><ci>km</ci></bvar>
            <apply><divide/><apply><times/><ci>v</ci><ci>s</ci></apply><apply><plus/><ci>km</ci><ci>s</ci></apply></apply>
          </lambda>
        </math>
      </functionDefinition>
    </listOfFunctionDefinitions>
    <listOfCompartments>
      <compartment id="cell" size="2" constant="true"/>
    </listOfCompartments>
    <listOfSpecies>
      <species id="A" compartment="cell" initialAmount="3" hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/>
      <species id="B" compartment="cell" initialConcentration="0.5" hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/>
      <species id="Src" compartment="cell" initialConcentration="1" hasOnlySubstanceUnits="false" boundaryCondition="true" constant="false"/>
    </listOfSpecies>
    <listOfParameters>
      <parameter id="k1" value="0.7" constant="true"/>
      <parameter id="k2" value="0.3" constant="true"/>
      <parameter id="kin" value="0.2" constant="true"/>
      <parameter id="g" value="0.1" constant="true"/>
      <parameter id="vmax" value="1" constant="true"/>
      <parameter id="total" value="0" constant="false"/>
      <parameter id="k3" value="0" constant="true"/>
    </listOfParameters>
    <listOfInitialAssignments>
      <initialAssignment symbol="k3"><math xmlns="http://www.w3.org/1998/Math/MathML"><apply><times/><cn>2</cn><ci>k2</ci></apply></math></initialAssignment>
    </listOfInitialAssignments>
    <listOfRules>
      <assignmentRule variable="total"><math xmlns="http://www.w3.org/1998/Math/MathML"><apply><plus/><ci>A</ci><ci>B</ci></apply></math></assignmentRule>
    </listOfRules>
    <listOfReactions>
      <reaction id="r1" reversible="false">
        <listOfReactants><speciesReference species="A" stoichiometry="1"/></listOfReactants>
        <listOfProducts><speciesReference species="B" stoichiometry="2"/></listOfProducts>
        <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
          <apply><times/><ci>cell</ci><apply><ci>mm</ci><ci>vmax</ci><ci>A</ci><ci>km_local</ci></apply></apply>
        </math>
        <listOfLocalParameters><localParameter id="km_local" value="0.8"/></listOfLocalParameters></kineticLaw>
      </reaction>
      <reaction id="r2" reversible="false">
        <listOfReactants><speciesReference species="B" stoichiometry="1"/></listOfReactants>
        <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
          <apply><times/><ci>cell</ci><ci>k1</ci><ci>B</ci><apply><divide/><cn>1</cn><apply><plus/><cn>1</cn><ci>total</ci></apply></apply></apply>
        </math></kineticLaw>
      </reaction>
      <reaction id="r3" reversible="false">
        <listOfReactants><speciesReference species="Src" stoichiometry="1"/></listOfReactants>
        <listOfProducts><speciesReference species="A" stoichiometry="1"/></listOfProducts>
        <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
          <apply><times/><ci>cell</ci><apply><plus/><ci>kin</ci><ci>g</ci><ci>k3</ci></apply><ci>Src</ci></apply>
        </math></kineticLaw>
      </reaction>
    </listOfReactions>
  </model>
</sbml>`;

const net = (id: string, nIn: number, nOut: number, act: string) => `nn_model_id: ${id}
inputs:
- input_id: input0
layers:
- layer_id: layer1
  layer_type: Linear
  args: {in_features: ${nIn}, out_features: 3, bias: true}
- layer_id: layer2
  layer_type: Linear
  args: {in_features: 3, out_features: ${nOut}, bias: true}
forward:
- {name: x, op: placeholder, target: x, args: [], kwargs: {}}
- {name: layer1, op: call_module, target: layer1, args: [x], kwargs: {}}
- {name: act, op: call_function, target: ${act}, args: [layer1], kwargs: {}}
- {name: layer2, op: call_module, target: layer2, args: [act], kwargs: {}}
- {name: output, op: output, target: output, args: [layer2], kwargs: {}}
`;

const tsv = (rows: (string | number)[][]) => `${rows.map((r) => r.join('\t')).join('\n')}\n`;

export const SYNTHETIC: Record<string, string> = {
  'problem.yaml': `format_version: 2.0.0
model_files:
  m: {location: model.xml, language: sbml}
parameter_files: [parameters.tsv]
observable_files: [observables.tsv]
measurement_files: [measurements.tsv]
condition_files: [conditions.tsv]
experiment_files: [experiments.tsv]
mapping_files: [mapping.tsv]
extensions:
  sciml:
    version: 0.1.0
    required: true
    hybridization_files: [hybridization.tsv]
    array_files: []
    neural_networks:
      dyn: {location: dyn.yaml, format: YAML, static: false}
      obsnet: {location: obsnet.yaml, format: YAML, static: false}
      pre: {location: pre.yaml, format: YAML, static: true}
`,
  'model.xml': sbml,
  'dyn.yaml': net('dyn', 2, 1, 'tanh'),
  'obsnet.yaml': net('obsnet', 1, 1, 'softplus'),
  'pre.yaml': net('pre', 2, 1, 'sigmoid'),
  'mapping.tsv': tsv([
    ['petabEntityId', 'modelEntityId'],
    ['dyn_in1', 'dyn.inputs[0][0]'],
    ['dyn_in2', 'dyn.inputs[0][1]'],
    ['dyn_out', 'dyn.outputs[0][0]'],
    ['dyn_ps', 'dyn.parameters'],
    ['dyn_l2b', 'dyn.parameters[layer2].bias'],
    ['obs_in', 'obsnet.inputs[0][0]'],
    ['obs_out', 'obsnet.outputs[0][0]'],
    ['obs_ps', 'obsnet.parameters'],
    ['obs_l1', 'obsnet.parameters[layer1]'],
    ['pre_in1', 'pre.inputs[0][0]'],
    ['pre_in2', 'pre.inputs[0][1]'],
    ['pre_out', 'pre.outputs[0][0]'],
    ['pre_ps', 'pre.parameters'],
  ]),
  'hybridization.tsv': tsv([
    ['targetId', 'targetValue'],
    ['dyn_in1', 'A'],
    ['dyn_in2', 'B / 2'],
    ['g', 'dyn_out'],
    ['obs_in', 'B'],
    ['pre_in2', 'u_in^2'],
    ['kin', 'pre_out'],
  ]),
  'parameters.tsv': tsv([
    [
      'parameterId',
      'parameterScale',
      'lowerBound',
      'upperBound',
      'nominalValue',
      'estimate',
      'priorDistribution',
      'priorParameters',
    ],
    ['k1', 'log10', 0.01, 10, 0.7, 'true', 'normal', '0.5;0.3'],
    ['k2', 'log', 0.01, 10, 0.3, 'true', '', ''],
    ['vmax', 'lin', 0, 10, 1.1, 'true', 'laplace', '1;0.5'],
    ['sigma_a', 'lin', 0.01, 5, 0.2, 'true', '', ''],
    ['scale', 'lin', 0, 10, 1.5, 'true', '', ''],
    ['noise_b', 'lin', 0, 10, 0.3, 'false', '', ''],
    ['u_in', 'lin', -5, 5, 0.4, 'true', '', ''],
    ['pre_in1', 'lin', -5, 5, 0.6, 'false', '', ''],
    ['dyn_ps', 'lin', '-inf', 'inf', 0.15, 'true', '', ''],
    ['dyn_l2b', 'lin', '-inf', 'inf', -0.1, 'true', '', ''],
    ['obs_ps', 'lin', '-inf', 'inf', 0.2, 'true', 'normal', '0;1'],
    ['obs_l1', 'lin', '-inf', 'inf', 0.35, 'false', '', ''],
    ['pre_ps', 'lin', '-inf', 'inf', -0.25, 'true', '', ''],
  ]),
  'observables.tsv': tsv([
    ['observableId', 'observableFormula', 'noiseFormula', 'noiseDistribution', 'noisePlaceholders'],
    ['obs_a', 'A', 'sigma_a', 'normal', ''],
    ['obs_b', 'scale * B', 'noiseParameter1_obs_b', 'log-normal', 'noiseParameter1_obs_b'],
    ['obs_n', 'obs_out + total', '0.4', 'laplace', ''],
  ]),
  'conditions.tsv': tsv([
    ['conditionId', 'targetId', 'targetValue'],
    ['c1', 'k2', '0.35'],
    ['c2', 'A', '2 * k2 + 1'],
    ['c2', 'pre_in1', '1.2'],
  ]),
  'experiments.tsv': tsv([
    ['experimentId', 'time', 'conditionId'],
    ['e1', 0, 'c1'],
    ['e2', 0.5, 'c2'],
  ]),
  'measurements.tsv': tsv([
    ['observableId', 'experimentId', 'time', 'measurement', 'noiseParameters'],
    ['obs_a', 'e1', 0.5, 2.4, ''],
    ['obs_a', 'e1', 2, 1.1, ''],
    ['obs_b', 'e1', 1, 1.9, 'noise_b'],
    ['obs_b', 'e1', 3, 2.7, '0.25'],
    ['obs_n', 'e1', 2, 3.1, ''],
    ['obs_a', 'e2', 1, 1.5, ''],
    ['obs_b', 'e2', 2, 2.2, 'noise_b'],
    ['obs_n', 'e2', 2, 2.8, ''],
    ['obs_n', 'e2', 4, 3.3, ''],
  ]),
};

/** The synthetic problem's files, with optional replacements. */
export function syntheticFiles(changes: Record<string, string> = {}): FileSource {
  const files = { ...SYNTHETIC, ...changes };
  const get = (p: string) => {
    const v = files[p];
    if (v === undefined) throw new Error(`no file ${p}`);
    return v;
  };
  return { text: async (p) => get(p), bytes: async (p) => new TextEncoder().encode(get(p)) };
}
