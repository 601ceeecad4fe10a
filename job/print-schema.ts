/**
 * Writes the job JSON Schema to the file given (standard output without one). `npm run build` writes it to
 * docs/job.schema.json: a build product of job.ts, never edited, so it is not kept in git.
 */
import { writeFileSync } from 'node:fs';
import { jobSchema } from './schema.js';

const text = JSON.stringify(jobSchema, null, 2) + '\n';
const out = process.argv[2];
if (out) writeFileSync(out, text);
else process.stdout.write(text);
