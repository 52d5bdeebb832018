/**
 * Data files for the CLI: read with the isomorphic readers of src/data, mapped onto a model's
 * subjects, every problem turned into a located user error.
 */
import type { DataFormat } from '../../data/dataset.js';
import { describeDataset } from '../../data/dataset.js';
import { DataError, formatProblem } from '../../data/problems.js';
import { readDataset } from '../../data/read.js';
import { toSubjects } from '../../data/toSubjects.js';
import type { Model } from '../../expr/model.js';
import type { Subject } from '../../hybrid/subject.js';
import { UserError } from './errors.js';
import { readText } from './project.js';

function checkFormat(format: string | undefined): DataFormat | undefined {
  if (format === undefined || format === 'long' || format === 'wide' || format === 'nonmem') return format;
  throw new UserError(`--format must be long, wide or nonmem; got "${format}"`);
}

/**
 * The subjects of a data file for a model.
 *
 * @throws UserError with one located problem per line (file, line, column, subject).
 */
export function loadSubjects(path: string, format: string | undefined, model: Model): Subject[] {
  const text = readText(path, 'data file');
  const f = checkFormat(format);
  try {
    const dataset = readDataset(text, path, { model, ...(f === undefined ? {} : { format: f }) });
    return toSubjects(dataset, model).subjects;
  } catch (e) {
    if (e instanceof DataError) throw new UserError(e.problems.map(formatProblem).join('\n'));
    throw e;
  }
}

/** What `greybox check-data` reports. */
export interface DataCheck {
  readonly file: string;
  readonly valid: boolean;
  /** One located problem per entry. */
  readonly problems: readonly string[];
  /** A description of the dataset when it is valid. */
  readonly summary: string;
  readonly notes: readonly string[];
}

/** Checks a data file (and, with a model, its mapping onto the model). */
export function checkDataFile(path: string, format: string | undefined, model?: Model): DataCheck {
  const text = readText(path, 'data file');
  const f = checkFormat(format);
  try {
    const dataset = readDataset(text, path, {
      ...(model === undefined ? {} : { model }),
      ...(f === undefined ? {} : { format: f }),
    });
    const notes = [...dataset.source.notes];
    if (model !== undefined) notes.push(...toSubjects(dataset, model).notes);
    return { file: path, valid: true, problems: [], summary: describeDataset(dataset), notes };
  } catch (e) {
    if (e instanceof DataError) {
      return { file: path, valid: false, problems: e.problems.map(formatProblem), summary: '', notes: [] };
    }
    throw e;
  }
}
