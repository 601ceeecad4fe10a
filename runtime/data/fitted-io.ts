/** Saving what was fitted to the run directory (`features.json`) and reading it back for `mtl eval`. */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { UserError } from '../errors.js';
import type { FittedFeatures } from './api.js';
import { displayPath } from './display-path.js';

/** Writes `fitted` as JSON, through a temporary file so a crash never leaves half a file. */
export async function saveFitted(file: string, fitted: FittedFeatures): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  await fs.writeFile(temporary, JSON.stringify(fitted, null, 1) + '\n');
  await fs.rename(temporary, file);
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export async function loadFitted(file: string): Promise<FittedFeatures> {
  const display = displayPath(path.resolve(file));
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${display} does not exist` : `${display} cannot be read (${(e as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${display} is not valid JSON (${(e as Error).message})`);
  }
  if (!isRecord(parsed) || !isRecord(parsed.features) || !isRecord(parsed.classes) || !isRecord(parsed.rows)) {
    throw new UserError(`${display} is not a fitted-features file (expected an object with features, classes and rows)`);
  }
  return parsed as unknown as FittedFeatures;
}
