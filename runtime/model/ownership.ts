/**
 * Which parameters a step trains: those its tasks' outputs depend on, minus frozen modules'. Module parameters train
 * when a trained task reads the module and it is not frozen; a head with its task, or a task that reads or multiplies its prediction; a sharing scheme's own parameters
 * by the scheme's rule (SharingScheme.trains); the weighting's never through the model (the step adds them); a layer's statistics (batch norm) never.
 */
import type { ModelGraph } from './graph.js';
import type { Reach } from './reach.js';
import type { TaskDependencies } from './dependencies.js';
import { sharingScheme } from './schemes/index.js';
import type { TrainedTasks } from './schemes/scheme.js';
import type { MtlModel, Param } from './types.js';

export function paramsForTasks(params: readonly Param[], graph: ModelGraph, reach: Reach, dependencies: TaskDependencies): MtlModel['paramsFor'] {
  return (trained, frozenModules = []) => {
    // A task's loss reaches the tasks it reads or multiplies too: their heads and what they read.
    const tasks = dependencies.closure(trained);
    const readBy = new Map(tasks.map((t) => [t, reach.modulesUnder(graph.headSource(t))]));
    const step: TrainedTasks = {
      reads: (task, module) => readBy.get(task)?.has(module) ?? false,
      readByAny: (module) => [...readBy.values()].some((under) => under.has(module)),
      frozen: new Set(frozenModules),
    };
    return params.filter((p) => {
      switch (p.owner.kind) {
        case 'module':
          return step.readByAny(p.owner.module) && !step.frozen.has(p.owner.module);
        case 'head':
          return tasks.includes(p.owner.task);
        case 'scheme':
          return sharingScheme(p.owner.scheme).trains!(p.owner, step);
        case 'weighting':
        case 'statistic':
          return false;
      }
    });
  };
}
