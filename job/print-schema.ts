/** Prints the job JSON Schema; `npm run schema` writes it to docs/job.schema.json (a test keeps the two equal). */
import { jobSchema } from './schema.js';

process.stdout.write(JSON.stringify(jobSchema, null, 2) + '\n');
