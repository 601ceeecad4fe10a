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
  SelectionPlan,
  SourceRef,
  TaskPlan,
  TrainingPlan,
} from '../../../job/job.js';

/**
 * Modules and tasks as tests write them: what they read as a string, the way job version 1 did (an input id, a module
 * id for its last layer, `module/layer`, or null for a head on its input); `makeJob` turns them into typed references.
 */
export type TestModule = Omit<ModulePlan, 'from' | 'share'> & { from: string | SourceRef[]; share?: string | null };
export type TestTask = Omit<TaskPlan, 'from'> & { from: string | null | SourceRef };

export function vectorInput(id: string, dataset: string, width: number): InputPlan {
  return { id, dataset, features: [`${id}_features`], kind: 'vector', shape: [width] };
}

export function denseModule(
  id: string,
  from: string,
  units: number[],
  tasks: string[],
  options: { activation?: Activation; dropout?: number; backbone?: string } = {},
): TestModule {
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
): TestTask {
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

/** Selection on the mean validation loss, each task's loss its objective (what the compiler writes for `best()`). */
export function lossSelection(tasks: readonly string[], patience: number | null = null): Extract<SelectionPlan, { kind: 'best' }> {
  return { kind: 'best', metric: 'loss', task: 'mean', mode: 'min', objectives: tasks.map((task) => ({ task, metric: 'loss', mode: 'min' })), patience };
}

export function trainingPlan(overrides: Partial<TrainingPlan> = {}, tasks: string[] = []): TrainingPlan {
  return {
    optimizer: { kind: 'adam', lr: { kind: 'constant', lr: 0.01 }, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0, clipNorm: null, normalizeTaskGradients: false },
    taskLr: {},
    batchSize: 32,
    seed: 7,
    sampling: { kind: 'proportional' },
    weighting: { kind: 'static' },
    aggregation: { kind: 'sum' },
    stages: [{ tasks, frozen: [], epochs: 3, steps: null }],
    selection: lossSelection(tasks),
    evalEvery: 1,
    conflictsEvery: 0,
    shuffleBuffer: 1000,
    ...overrides,
  };
}

/** Tasks that read one dataset through one input share a batch group, as the compiler groups them. */
export function batchGroupsOf(tasks: readonly { name: string; dataset: string; input: string }[]): BatchGroupPlan[] {
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
  modules?: TestModule[];
  tasks: TestTask[];
  training?: Partial<TrainingPlan>;
}): Job {
  const datasets = [...new Set(spec.inputs.map((i) => i.dataset))];
  const { modules, tasks } = resolveRefs(spec.inputs, spec.modules ?? [], spec.tasks);
  return {
    format: 'mtl-job',
    version: 3,
    source: { file: 'test.mtl', sha256: '0'.repeat(64) },
    root: '/nonexistent',
    datasets: datasets.map((name) => ({ name, files: [], columns: [], split: { kind: 'ratio', train: 0.8, valid: 0.1, test: 0.1, seed: 1 } })),
    features: [],
    inputs: spec.inputs,
    modules,
    tasks,
    batchGroups: batchGroupsOf(spec.tasks),
    training: trainingPlan(spec.training, spec.tasks.map((t) => t.name)),
  };
}

/** Test modules and tasks with typed references, resolved against the job's inputs and modules. */
export function resolveRefs(inputs: readonly InputPlan[], testModules: readonly TestModule[], testTasks: readonly TestTask[]): { modules: ModulePlan[]; tasks: TaskPlan[] } {
  const ref = (text: string): SourceRef => {
    if (inputs.some((i) => i.id === text)) return { input: text };
    const whole = testModules.find((m) => m.id === text);
    if (whole) return { module: whole.id, layer: whole.layers.length - 1 };
    const slash = text.lastIndexOf('/');
    // An unknown name stays a reference to it, for tests of what the runtime says about dangling references.
    return slash > 0 ? { module: text.slice(0, slash), layer: Number(text.slice(slash + 1)) } : { module: text, layer: 0 };
  };
  const modules: ModulePlan[] = testModules.map((m) => ({ ...m, share: m.share ?? null, from: typeof m.from === 'string' ? [ref(m.from)] : m.from }));
  const tasks: TaskPlan[] = testTasks.map((t) => ({ ...t, from: t.from === null ? { input: t.input } : typeof t.from === 'string' ? ref(t.from) : t.from }));
  return { modules, tasks };
}

/**
 * MMoE as the compiler lowers it: experts `${share}.expert${k}` (MLPs of `expertUnits`), and per task a
 * softmax gate `${share}.gate.${task}` and a mixture `${share}.mix.${task}` (what the task's head reads).
 */
export function mmoeModules(share: string, from: string, expertUnits: number[], experts: number, tasks: string[]): TestModule[] {
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
): TestModule[] {
  const columns = tasks.map((t) => `${share}.${t}`);
  return tasks.map((t, i) => ({ ...denseModule(columns[i]!, from, units, [t], options), share, sharing: { ...sharing, columns } }));
}

/** One shared MLP with per-task adapters of `size` after each dense layer. */
export function adaptedModule(id: string, from: string, units: number[], tasks: string[], size: number, options: { activation?: Activation } = {}): TestModule {
  return { ...denseModule(id, from, units, tasks, options), sharing: { kind: 'adapters', size, tasks } };
}
