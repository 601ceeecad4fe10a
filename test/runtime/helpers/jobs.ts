/** Small hand-written jobs for runtime tests: vector inputs, dense modules, heads, a training plan. */
import type {
  Activation,
  BatchGroupPlan,
  HeadKind,
  InputPlan,
  Job,
  LossKind,
  MetricKind,
  ModulePlan,
  TaskPlan,
  TrainingPlan,
} from '../../../compiler/job/job.js';

export function vectorInput(id: string, dataset: string, width: number): InputPlan {
  return { id, dataset, features: [`${id}_features`], kind: 'vector', shape: [width] };
}

export function denseModule(
  id: string,
  from: string,
  units: number[],
  tasks: string[],
  options: { activation?: Activation; dropout?: number; backbone?: string } = {},
): ModulePlan {
  return {
    id,
    backbone: options.backbone ?? null,
    from,
    layers: units.map((u) => ({ kind: 'dense', units: u, activation: options.activation ?? 'relu', dropout: options.dropout ?? 0 })),
    shapes: units.map((u) => [u]),
    tasks,
    sharing: { kind: 'hard' },
  };
}

const DEFAULT_LOSS: Record<string, LossKind> = { binary: 'bce', multilabel: 'bce', multiclass: 'ce', regression: 'mse' };
const DEFAULT_METRICS: Record<string, MetricKind[]> = {
  binary: ['auc', 'accuracy'],
  multilabel: ['auc'],
  multiclass: ['accuracy', 'macro_f1'],
  regression: ['mse', 'mae'],
};

export function task(
  name: string,
  head: HeadKind,
  options: { dataset?: string; input?: string; from?: string | null; units?: number; loss?: LossKind; metrics?: MetricKind[]; weight?: number } = {},
): TaskPlan {
  return {
    name,
    dataset: options.dataset ?? 'd',
    input: options.input ?? 'x',
    from: options.from === undefined ? 'trunk' : options.from,
    target: { col: name },
    targetType: head === 'multiclass' ? 'int' : 'float',
    head: { kind: head, units: options.units ?? 1, classes: 'index' },
    loss: options.loss ?? DEFAULT_LOSS[head]!,
    metrics: options.metrics ?? DEFAULT_METRICS[head]!,
    weight: options.weight ?? 1,
  };
}

export function trainingPlan(overrides: Partial<TrainingPlan> = {}, tasks: string[] = []): TrainingPlan {
  return {
    optimizer: { kind: 'adam', lr: { kind: 'constant', lr: 0.01 }, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0 },
    taskLr: {},
    batchSize: 32,
    seed: 7,
    sampling: { kind: 'proportional' },
    weighting: { kind: 'static' },
    aggregation: { kind: 'sum' },
    stages: [{ tasks, frozen: [], epochs: 3, steps: null }],
    selection: { metric: 'loss', task: 'mean', mode: 'min', patience: null },
    evalEvery: 1,
    shuffleBuffer: 1000,
    ...overrides,
  };
}

/** Tasks that read one dataset through one input share a batch group, as the compiler groups them. */
export function batchGroupsOf(tasks: TaskPlan[]): BatchGroupPlan[] {
  const groups = new Map<string, BatchGroupPlan>();
  for (const t of tasks) {
    const key = `${t.dataset}/${t.input}`;
    const group = groups.get(key) ?? { dataset: t.dataset, input: t.input, tasks: [] };
    group.tasks.push(t.name);
    groups.set(key, group);
  }
  return [...groups.values()];
}

export function makeJob(spec: {
  inputs: InputPlan[];
  modules?: ModulePlan[];
  tasks: TaskPlan[];
  training?: Partial<TrainingPlan>;
}): Job {
  const datasets = [...new Set(spec.inputs.map((i) => i.dataset))];
  return {
    format: 'mtl-job',
    version: 1,
    source: { file: 'test.mtl', sha256: '0'.repeat(64) },
    root: '/nonexistent',
    datasets: datasets.map((name) => ({ name, files: [], columns: [], split: { kind: 'ratio', train: 0.8, valid: 0.1, test: 0.1, seed: 1 } })),
    features: [],
    inputs: spec.inputs,
    modules: spec.modules ?? [],
    tasks: spec.tasks,
    batchGroups: batchGroupsOf(spec.tasks),
    training: trainingPlan(spec.training, spec.tasks.map((t) => t.name)),
  };
}

/**
 * MMoE as the compiler lowers it: experts `${share}.expert${k}` (MLPs of `expertUnits`), and per task a
 * softmax gate `${share}.gate.${task}` and a mixture `${share}.mix.${task}` (what the task's head reads).
 */
export function mmoeModules(share: string, from: string, expertUnits: number[], experts: number, tasks: string[]): ModulePlan[] {
  const expertIds = Array.from({ length: experts }, (_, k) => `${share}.expert${k}`);
  const gates = Object.fromEntries(tasks.map((t) => [t, `${share}.gate.${t}`]));
  const sharing = { kind: 'mmoe', experts: expertIds, gates } as const;
  return [
    ...expertIds.map((id) => ({ ...denseModule(id, from, expertUnits, tasks), sharing })),
    ...tasks.map((t) => ({ ...denseModule(gates[t]!, from, [experts], [t], { activation: 'softmax' }), sharing })),
    ...tasks.map((t) => ({
      ...denseModule(`${share}.mix.${t}`, expertIds[0]!, [], [t]),
      layers: [{ kind: 'mixture' as const, experts: expertIds, gate: gates[t]! }],
      shapes: [[expertUnits[expertUnits.length - 1]!]],
      sharing,
    })),
  ];
}

/** Per-task columns `${share}.${task}` of one MLP, tied by soft sharing or mixed by cross-stitch units. */
export function columnModules(
  share: string,
  from: string,
  units: number[],
  tasks: string[],
  sharing: { kind: 'soft'; l2: number } | { kind: 'cross_stitch'; after: number[]; init: number },
  options: { activation?: Activation } = {},
): ModulePlan[] {
  const columns = tasks.map((t) => `${share}.${t}`);
  return tasks.map((t, i) => ({ ...denseModule(columns[i]!, from, units, [t], options), sharing: { ...sharing, columns } }));
}

/** One shared MLP with per-task adapters of `size` after each dense layer. */
export function adaptedModule(id: string, from: string, units: number[], tasks: string[], size: number, options: { activation?: Activation } = {}): ModulePlan {
  return { ...denseModule(id, from, units, tasks, options), sharing: { kind: 'adapters', size, tasks } };
}
