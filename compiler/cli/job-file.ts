/** Reads a job file for `mtl train`, with a clear error when it is not a job this version can run. */
import * as fs from 'node:fs';
import { JOB_FORMAT, JOB_VERSION, type Job } from '../job/job.js';
import { validateJob } from '../job/schema.js';
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
  const header = value as { format?: unknown; version?: unknown };
  if (header?.format !== JOB_FORMAT) return fail(`${file} is not an mtl job (its "format" is ${JSON.stringify(header?.format)}, expected "${JOB_FORMAT}")`);
  if (header.version !== JOB_VERSION) return fail(`${file} is a version ${JSON.stringify(header.version)} job; this mtl runs version ${JOB_VERSION} jobs: compile the program again`);
  const problems = validateJob(value);
  if (problems.length) return fail(`${file} does not match the job schema: ${problems.slice(0, 5).join('; ')}`);
  return value as Job;
}
