/**
 * The Node file helper for state dicts: the extension picks the form; bad files name the path.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlp } from '../../src/nn/mlp.js';
import { loadStateDict, stateDict } from '../../src/nn/stateDict.js';
import { loadStateDictFile, saveStateDictFile } from '../../src/node/stateDictFile.js';
import { rngKey } from '../../src/tensor/random.js';

describe('state dict files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'greybox-nn-'));
  const net = mlp({ sizes: [2, 4, 1] });
  const params = net.init(rngKey(3));

  for (const name of ['weights.json', 'weights.gbxw']) {
    it(`round-trips through ${name}`, async () => {
      const path = join(dir, name);
      await saveStateDictFile(path, stateDict(params));
      const back = loadStateDict(net.init(rngKey(0)), await loadStateDictFile(path));
      expect(Array.from(back['2'].weight.data)).toEqual(Array.from(params['2'].weight.data));
    });
  }

  it('names the file when its content is not a state dict', async () => {
    const path = join(dir, 'bad.gbxw');
    writeFileSync(path, 'hello, world!!!!!');
    await expect(loadStateDictFile(path)).rejects.toThrow(/bad\.gbxw: not a greybox binary state dict/);
  });
});
