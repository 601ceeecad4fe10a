/** The job package: the contract between the compiler and the runtime. */
export * from './job.js';
export { jobSchema, validateJob } from './schema.js';
export { parseJob, referenceProblems, JobError } from './parse.js';
