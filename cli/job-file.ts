/** Reads a job file for `mtl train`, with a clear error when it is not a job this version can run. */
import * as fs from 'node:fs';
import type { Job } from '../job/job.js';
import { JobError, parseJob } from '../job/parse.js';
import { fail } from './output.js';

export function readJobFile(file: string): Job {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return fail(`cannot read ${file}: no such file`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return fail(`${file} is not JSON (${(e as Error).message}); make a job with \`mtl compile PROGRAM.mtl -o ${file}\``);
  }
  try {
    return parseJob(value, file);
  } catch (e) {
    if (e instanceof JobError) return fail(e.message);
    throw e;
  }
}
