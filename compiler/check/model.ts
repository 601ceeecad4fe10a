/**
 * The checked program as typed views over the elaborated symbols: datasets with their columns, feature sets,
 * backbones, tasks with their share, the training block. Rules and lowering read these, never raw values.
 */
import * as path from 'node:path';
import type * as A from '../syntax/ast.js';
import type { Span } from '../diagnostics/diagnostic.js';
import type { Scope, Symbol } from './scope.js';
import { type Value, type ValueOf, isCall, listOf, numberOf, refName } from './values.js';
import { type ValueKind, type ConstructorOf, isOf, heads } from '../../stdlib/index.js';
import type { ColumnType, HeadKind, MetricKind, SharingKind } from '../../job/job.js';
import { argsOf, readable } from './args.js';
import type { Host } from '../syntax/load.js';
import type { Root } from '../syntax/root.js';

export type { ColumnType };

export interface DatasetView {
  symbol: Symbol;
  name: string;
  files: { pattern: string; span: Span }[];
  columns: Map<string, { type: ColumnType; span: Span }>;
  split: Value;
}

export interface TransformView {
  name: string;
  call: Extract<Value, { v: 'call' }>;
  column: { name: string; span: Span };
}

export interface FeaturesView {
  symbol: Symbol;
  name: string;
  dataset: string | null;
  transforms: TransformView[];
}

export interface TaskView {
  symbol: Symbol;
  name: string;
  features: string | null;
  target: A.Expr | null;
  head: Extract<Value, { v: 'call' }> | null;
  /** The share whose tasks list this task, if any (the first, when listed twice). */
  share: ShareView | null;
  fields: Record<string, Value>;
}

export interface ShareView {
  symbol: Symbol;
  name: string;
  scheme: SharingKind | null;
  call: Extract<Value, { v: 'call' }> | null;
  /** The scheme's stdlib entry. */
  entry: ConstructorOf<'sharing'> | null;
  /** The backbone (or, for mmoe, the expert) value. */
  backbone: Value | null;
  tasks: { name: string; span: Span }[];
}

export interface CheckedProgram {
  scope: Scope;
  entry: string;
  /** The entry file's own imports, as written (`mtl render` writes them back). */
  imports: A.Import[];
  host: Host;
  /** The directory the compilation is confined to (`CompileOptions.root`), or null. */
  root: Root | null;
  datasets: Map<string, DatasetView>;
  features: Map<string, FeaturesView>;
  backbones: Map<string, Symbol>;
  /** The tasks the program trains: its own and the imported ones it names (an imported task named nowhere is not here). */
  tasks: Map<string, TaskView>;
  shares: Map<string, ShareView>;
  /** The `train` declaration's fields (defaults when there is none). */
  train: Record<string, Value>;
  trainSymbol: Symbol | null;
}

export function columnTypeOf(value: Value): ColumnType | null {
  if (!isCall(value) || !isOf(value.ctor, 'column_type')) return null;
  const { ctor } = value;
  return readable(() => ctor.type(argsOf(value)));
}

export interface ModelInput {
  entry: string;
  host: Host;
  /** The `train` fields of a program without a `train` block: every default. */
  defaultTrain: Record<string, Value>;
  imports: A.Import[];
  /** The tasks the program trains (trained-tasks.ts); other tasks in scope are imported ones it never names. */
  trained: ReadonlySet<string>;
  root: Root | null;
}

export function buildModel(scope: Scope, { entry, host, defaultTrain, imports, trained, root }: ModelInput): CheckedProgram {
  const datasets = new Map<string, DatasetView>();
  for (const symbol of scope.ofKind('dataset')) {
    const filesValue = symbol.fields.files;
    const files = filesValue?.v === 'string' ? [{ pattern: filesValue.s, span: filesValue.span }]
      : listOf(filesValue).flatMap((f) => (f.v === 'string' ? [{ pattern: f.s, span: f.span }] : []));
    const columns = new Map<string, { type: ColumnType; span: Span }>();
    const columnsValue = symbol.fields.columns;
    if (columnsValue?.v === 'record') {
      for (const entry of columnsValue.entries) {
        const type = columnTypeOf(entry.value);
        // A column given twice is an error (keys-once); the rest of the program is checked against the first.
        if (type && !columns.has(entry.key)) columns.set(entry.key, { type, span: entry.keySpan });
      }
    }
    datasets.set(symbol.name, { symbol, name: symbol.name, files, columns, split: symbol.fields.split ?? { v: 'error', span: symbol.decl.span } });
  }

  const features = new Map<string, FeaturesView>();
  for (const symbol of scope.ofKind('features')) {
    const transforms: TransformView[] = [];
    for (const t of listOf(symbol.fields.transforms)) {
      if (!isCall(t)) continue;
      for (const c of t.rest) if (c.v === 'column') transforms.push({ name: t.ctor.name, call: t, column: { name: c.name, span: c.span } });
    }
    features.set(symbol.name, { symbol, name: symbol.name, dataset: refName(symbol.fields.dataset), transforms });
  }

  const backbones = new Map(scope.ofKind('backbone').map((s) => [s.name, s]));

  const shares = new Map<string, ShareView>();
  for (const symbol of scope.ofKind('share')) {
    const call = isCall(symbol.fields.value) ? symbol.fields.value : null;
    const entry = call && isOf(call.ctor, 'sharing') ? call.ctor : null;
    // An imported share holds only the tasks the program trains: the rest stay in their library.
    const tasks = listOf(call?.args.tasks).flatMap((t) => (t.v === 'ref' && trained.has(t.name) ? [{ name: t.name, span: t.span }] : []));
    const backbone = call && entry ? (call.args[entry.backbone] ?? null) : null;
    shares.set(symbol.name, { symbol, name: symbol.name, scheme: entry?.name ?? null, call, entry, backbone, tasks });
  }

  // The first share listing each task (a map, not a scan of every share per task: programs have thousands of tasks).
  const shareOf = new Map<string, ShareView>();
  for (const s of shares.values()) for (const t of s.tasks) if (!shareOf.has(t.name)) shareOf.set(t.name, s);
  const tasks = new Map<string, TaskView>();
  for (const symbol of scope.ofKind('task')) {
    if (!trained.has(symbol.name)) continue;
    const target = symbol.fields.target;
    const head = symbol.fields.head;
    const share = shareOf.get(symbol.name) ?? null;
    tasks.set(symbol.name, {
      symbol, name: symbol.name, features: refName(symbol.fields.features),
      target: target?.v === 'expr' ? target.expr : null,
      head: isCall(head) ? head : null, share, fields: symbol.fields,
    });
  }

  const trainSymbol = scope.ofKind('train')[0] ?? null;
  return { scope, entry, imports, host, root, datasets, features, backbones, tasks, shares, train: trainSymbol?.fields ?? defaultTrain, trainSymbol };
}

// ---------------------------------------------------------------- derived facts used by several rules

/** What a feature set feeds a backbone: all its transforms must produce one kind. Null when empty or mixed. */
export function featuresKind(view: FeaturesView): ValueKind | null {
  const kinds = new Set(view.transforms.flatMap((t) => (isOf(t.call.ctor, 'transform') ? [t.call.ctor.produces] : [])));
  return kinds.size === 1 ? [...kinds][0]! : null;
}

/** The dataset a task reads, through its features. */
export function taskDataset(program: CheckedProgram, task: TaskView): DatasetView | null {
  const features = task.features ? program.features.get(task.features) : undefined;
  return features?.dataset ? program.datasets.get(features.dataset) ?? null : null;
}

/** The directory a dataset's `files` are relative to: that of the file declaring it. */
export function datasetDir(program: CheckedProgram, dataset: DatasetView): string {
  return path.dirname(dataset.symbol.decl.span.file) || path.dirname(program.entry);
}

export function headKind(task: TaskView): HeadKind | null {
  return task.head && isOf(task.head.ctor, 'head') ? task.head.ctor.name : null;
}

/** The metrics a task reports: its `metrics`, or its head's defaults. */
export function taskMetrics(task: TaskView): MetricKind[] {
  const metrics = task.fields.metrics;
  if (metrics?.v === 'list') return metrics.items.flatMap((m) => (m.v === 'call' && isOf(m.ctor, 'metric') ? [m.ctor.name] : []));
  const kind = headKind(task);
  return kind ? [...heads[kind].metrics.default] : [];
}

/** The backbone value a task's head sits on: its share's backbone, else its private one, else none. */
export function taskBackbone(task: TaskView): Value | null {
  if (task.share?.backbone) return task.share.backbone;
  const own = task.fields.backbone;
  return own && own.v !== 'absent' && own.v !== 'error' ? own : null;
}

/** A task named by another task's `reads` or `product`, where it is named. */
export interface TaskDependency {
  name: string;
  span: Span;
}

/** The tasks whose predictions a task's head reads (`reads`), and those whose product is its prediction (`product`). */
export function taskDependencies(task: TaskView): { reads: TaskDependency[]; product: TaskDependency[] } {
  const named = (field: string) => listOf(task.fields[field]).flatMap((v) => (v.v === 'ref' && v.to === 'task' ? [{ name: v.name, span: v.span }] : []));
  return { reads: named('reads'), product: named('product') };
}

/** Whether some other trained task reads this task's prediction or multiplies it: then it trains through that task's loss. */
export function readByAnotherTask(program: CheckedProgram, task: TaskView): boolean {
  for (const other of program.tasks.values()) {
    if (other === task) continue;
    const { reads, product } = taskDependencies(other);
    if ([...reads, ...product].some((d) => d.name === task.name)) return true;
  }
  return false;
}

export function numberField(fields: Record<string, Value>, name: string): number | null {
  return numberOf(fields[name]);
}

/** Something the training block asks for that differentiates each task apart, with what to say about it. */
export interface PerTaskMethod {
  /** How messages name it: the constructor, or the optimizer option. */
  name: string;
  span: Span;
  /** What it does with the task gradients ("combines per-task gradients of shared parameters"). */
  does: string;
  /** What to write instead when it cannot work. */
  instead: string;
}

/**
 * What makes every step differentiate each task apart (one backward pass per task over the shared parameters), in
 * the order messages name them: the aggregation or the weighting when its entry says `perTaskGradients`, then the
 * optimizer's `normalize_task_gradients: true`. Each needs tasks that share parameters.
 */
export function perTaskMethods(program: CheckedProgram): PerTaskMethod[] {
  const { aggregation, weighting, optimizer } = program.train;
  const methods: PerTaskMethod[] = [aggregation, weighting]
    .filter((v): v is ValueOf<'call'> => isCall(v) && (isOf(v.ctor, 'aggregation') || isOf(v.ctor, 'weighting')) && v.ctor.perTaskGradients)
    .map((v) => ({ name: v.ctor.name, span: v.span, does: 'combines per-task gradients of shared parameters', instead: 'use `aggregation: sum()`' }));
  const normalize = isCall(optimizer) ? optimizer.args.normalize_task_gradients : undefined;
  if (normalize?.v === 'bool' && normalize.b) {
    methods.push({
      name: 'normalize_task_gradients', span: normalize.span,
      does: 'divides each task\'s gradient of the shared parameters by its norm', instead: 'leave out `normalize_task_gradients`',
    });
  }
  return methods;
}

/**
 * Why a task can never receive a gradient, so the compiler leaves it out of the job (eliminate-dead-tasks): weight 0
 * under a weighting that scales by it (static), probability 0 under explicit sampling, or listed in no stage. Null when it trains.
 */
export function neverTrains(program: CheckedProgram, task: TaskView): { why: 'weight' | 'probability'; value: ValueOf<'number'> } | { why: 'stage' } | null {
  // A task another task reads or multiplies trains through that task's loss (ESMM's pCVR, with weight 0).
  if (readByAnotherTask(program, task)) return null;
  const { weighting, sampling, stages } = program.train;
  const scalesByWeight = weighting?.v !== 'call' || (isOf(weighting.ctor, 'weighting') && weighting.ctor.scalesByWeight);
  const weight = task.fields.weight;
  if (scalesByWeight && weight?.v === 'number' && weight.n === 0) return { why: 'weight', value: weight };
  const probs = sampling?.v === 'call' && sampling.ctor.name === 'explicit' && sampling.args.probs?.v === 'record' ? sampling.args.probs : null;
  const prob = probs?.entries.find((e) => e.key === task.name)?.value;
  if (prob?.v === 'number' && prob.n === 0) return { why: 'probability', value: prob };
  const staged = listOf(stages).flatMap((s) => (s.v === 'call' ? listOf(s.args.tasks).flatMap((t) => (t.v === 'ref' ? [t.name] : [])) : []));
  if (listOf(stages).length > 0 && !staged.includes(task.name)) return { why: 'stage' };
  return null;
}

/**
 * The `on: representation` argument of the training aggregation, with the call, when the program asks for the task
 * gradients of the shared representation (rules representation-form, one-shared-representation,
 * representation-weighting, backward-passes); null when it takes them of the parameters.
 */
export function aggregationOnRepresentation(program: CheckedProgram): { call: ValueOf<'call'>; entry: ConstructorOf<'aggregation'>; on: ValueOf<'enum'> } | null {
  const call = program.train.aggregation;
  if (!isCall(call) || !isOf(call.ctor, 'aggregation')) return null;
  const on = call.args.on;
  return on?.v === 'enum' && on.name === 'representation' ? { call, entry: call.ctor, on } : null;
}
