/**
 * Task dependencies (ESMM): a task's head may read other tasks' predictions of the same rows (`TaskPlan.reads`), and a
 * task's prediction may be the product of others' (`TaskPlan.product`). Gradients flow through both: a product's loss
 * trains its factors, and a reader's loss trains the tasks it reads.
 */
import * as tf from '@tensorflow/tfjs';
import type { TaskPlan } from '../../job/job.js';
import { UserError } from '../errors.js';
import { headRuntime } from './heads/index.js';
import type { ModelJob } from './model-job.js';
import type { HeadInfo } from './types.js';

export interface TaskDependencies {
  /** The tasks whose predictions its head reads after what reaches it, in order. */
  reads(task: string): readonly string[];
  /** The tasks it multiplies; empty for a task with a head of its own. */
  product(task: string): readonly string[];
  /** The tasks and every task they depend on, each once (what a step of them computes and trains). */
  closure(tasks: readonly string[]): string[];
  /** The logits of a product task from its factors' logits. */
  multiply(task: string, factors: readonly tf.Tensor2D[]): tf.Tensor2D;
  /** A task's prediction as another head reads it: [n, width]. */
  asInput(task: string, logits: tf.Tensor2D): tf.Tensor2D;
  /** The width of a task's prediction as another head reads it. */
  width(task: string): number;
}

/** The job's dependencies, checked as a hand-written job's: every name a task, no cycle, a product of one head kind that multiplies. */
export function taskDependencies(job: ModelJob, heads: ReadonlyMap<string, HeadInfo>): TaskDependencies {
  const tasks = new Map(job.tasks.map((t) => [t.name, t]));
  const named = (task: TaskPlan) => [...(task.reads ?? []), ...(task.product ?? [])];
  for (const task of job.tasks) {
    for (const other of named(task)) if (!tasks.has(other)) throw new UserError(`task '${task.name}' depends on task '${other}', which the job does not have`);
    if (task.product) {
      const runtime = headRuntime(heads.get(task.name)!);
      if (!runtime.product) throw new UserError(`task '${task.name}' is a product of predictions, but its ${task.head.kind} head's predictions do not multiply`);
      const other = task.product.find((t) => tasks.get(t)!.head.kind !== task.head.kind);
      if (other) throw new UserError(`task '${task.name}' multiplies ${task.head.kind} predictions, but task '${other}' has a ${tasks.get(other)!.head.kind} head`);
    }
  }
  assertAcyclic(job, named, tasks);

  const closure = (start: readonly string[]): string[] => {
    const found = new Set<string>();
    const visit = (name: string) => {
      if (found.has(name)) return;
      found.add(name);
      named(tasks.get(name)!).forEach(visit);
    };
    start.forEach(visit);
    return [...found];
  };
  return {
    reads: (task) => tasks.get(task)?.reads ?? [],
    product: (task) => tasks.get(task)?.product ?? [],
    closure,
    multiply: (task, factors) => headRuntime(heads.get(task)!).product!(factors),
    asInput: (task, logits) => {
      const head = heads.get(task)!;
      return headRuntime(head).predictions(logits, head.units, head.task.head).reshape([logits.shape[0], -1]) as tf.Tensor2D;
    },
    width: (task) => heads.get(task)!.units,
  };
}

function assertAcyclic(job: ModelJob, named: (task: TaskPlan) => string[], tasks: ReadonlyMap<string, TaskPlan>): void {
  const done = new Set<string>();
  const visit = (name: string, path: readonly string[]): void => {
    if (path.includes(name)) throw new UserError(`task '${name}' depends on its own prediction: ${[...path.slice(path.indexOf(name)), name].join(' → ')}`);
    if (done.has(name)) return;
    for (const other of named(tasks.get(name)!)) visit(other, [...path, name]);
    done.add(name);
  };
  for (const task of job.tasks) visit(task.name, []);
}
