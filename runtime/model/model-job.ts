/**
 * The part of a job a model is built from: its inputs, modules and tasks. Training reads the whole job; a model
 * package (runtime/package/) carries only this part (with the features that encode the inputs), so building a model
 * must need no more.
 */
import type { Job } from '../../job/job.js';

export type ModelJob = Pick<Job, 'inputs' | 'modules' | 'tasks'>;
