/**
 * Checked program → graph IR. Each task is built as its own path, input → backbone → tower → head, but a layer that
 * would apply the same parameters to the same node as one already built is that node (see `chain`): so the tasks of
 * a hard share, at any depth, read one backbone pass from the start, and a large program never holds a copy of its
 * shared layers per task.
 */
import * as path from 'node:path';
import type * as A from '../syntax/ast.js';
import type { CheckedProgram, TaskView, FeaturesView, DatasetView, ShareView } from '../check/model.js';
import { featuresKind, headKind, taskDataset, taskMetrics } from '../check/model.js';
import { backboneParts, type BackbonePart } from '../check/backbone.js';
import { argsOf, fieldsOf, planOf } from '../check/args.js';
import { targetType } from '../check/target.js';
import type { Value } from '../check/values.js';
import { heads, isOf, kindAfterLayer, type ExpandedLayer, type ShareModules } from '../../stdlib/index.js';
import type { Width, SharingPlan, HeadPlan, Expr, ColumnPlan, ColumnType } from '../../job/job.js';
import { layerKey, newGraph, PLAN_NODE, type IrGraph, type IrNode, type ValueKind } from './graph.js';
import { trainingPlan } from './training.js';
import { compareText } from '../../shared/compare.js';

/** What building needs at hand: the graph so far, and the layer node made for each parameters-and-input pair. */
interface Builder {
  graph: IrGraph;
  program: CheckedProgram;
  /** `layerKey` → the layer node applying those parameters to that input. */
  layerAt: Map<string, string>;
  /** Each share's modules and plan, made for its first task (see `shareModules`). */
  shares: Map<string, { modules: ShareModules; sharing: SharingPlan }>;
}

export function buildGraph(program: CheckedProgram): IrGraph {
  const graph = newGraph();
  const builder: Builder = { graph, program, layerAt: new Map(), shares: new Map() };
  const root = path.dirname(program.entry);
  for (const dataset of program.datasets.values()) addDataset(graph, program, dataset, root);
  for (const features of program.features.values()) addFeatures(graph, features);
  for (const task of [...program.tasks.values()].sort((a, b) => compareText(a.name, b.name))) addTask(builder, task);
  graph.setNode(PLAN_NODE, { kind: 'plan', training: trainingPlan(program, [...program.tasks.keys()].sort()), span: program.trainSymbol?.decl.span ?? { file: program.entry, start: 0, end: 0 } });
  for (const task of program.tasks.keys()) if (graph.hasNode(`head:${task}`)) graph.setEdge(`head:${task}`, PLAN_NODE, {});
  return graph;
}

function addDataset(graph: IrGraph, program: CheckedProgram, dataset: DatasetView, root: string): void {
  const fileDir = path.dirname(dataset.symbol.decl.span.file);
  const expand = (pattern: string) => program.host.glob(pattern, fileDir).map((match) => path.relative(root, path.resolve(fileDir, match)).split(path.sep).join('/'));
  const files = [...new Set(dataset.files.flatMap((f) => expand(f.pattern)))];
  const columns: ColumnPlan[] = [...dataset.columns.entries()].map(([name, c]) => ({ name, type: c.type as ColumnType }));
  let split = planOf(dataset.split, 'split', `dataset \`${dataset.name}\``);
  if (split.kind === 'files') {
    // A split's patterns name files of the dataset (rule split-files), as the job names them.
    const among = (patterns: string[]) => [...new Set(patterns.flatMap(expand))].filter((f) => files.includes(f));
    split = { kind: 'files', train: among(split.train), valid: among(split.valid), test: among(split.test) };
  }
  graph.setNode(`dataset:${dataset.name}`, { kind: 'dataset', name: dataset.name, files, columns, split, span: dataset.symbol.decl.span });
}

function addFeatures(graph: IrGraph, features: FeaturesView): void {
  if (!features.dataset) return;
  const kind = featuresKind(features) ?? 'vector';
  const inputId = `input:${features.name}`;
  graph.setNode(inputId, { kind: 'input', name: features.name, dataset: features.dataset, valueKind: kind, shape: null, span: features.symbol.decl.span });
  features.transforms.forEach((t, i) => {
    const id = `transform:${features.name}/${i}`;
    if (!isOf(t.call.ctor, 'transform')) throw new Error(`features \`${features.name}\`: \`${t.name}\` is not a transform`);
    const { plan, shape } = t.call.ctor.lower(argsOf(t.call), id);
    graph.setNode(id, { kind: 'transform', dataset: features.dataset!, column: t.column.name, transform: plan, shape, span: t.column.span });
    graph.setEdge(`dataset:${features.dataset}`, id, {});
    graph.setEdge(id, inputId, { order: i });
  });
}

/** The vocabulary width of a token input (what a sequence model's embedding is sized by): its transform producing ids. */
function inputVocab(graph: IrGraph, features: FeaturesView): Width {
  const tokenTransform = features.transforms.findIndex((t) => isOf(t.call.ctor, 'transform') && t.call.ctor.produces === 'ids');
  return tokenTransform >= 0 ? { vocab: `transform:${features.name}/${tokenTransform}` } : 0;
}

/** A part's layers as they read `input`: a sequence model reading token ids embeds them first. */
function partLayers(part: BackbonePart, input: ValueKind, vocab: Width): ExpandedLayer[] {
  const args = argsOf(part.call);
  const embed = input === 'ids' && part.entry.embed ? [{ layer: part.entry.embed(args, vocab), visible: false }] : [];
  return [...embed, ...part.entry.layers(args)];
}

/**
 * Appends the layers of a backbone value after `from`, for one task, as layers owned by `owner`, and returns the
 * last node and its kind. A layer node is made once per parameters and input (merge-identical-layers' rule, applied
 * as each layer is added): a task whose layer would apply the same parameters to the same node as an earlier task's
 * reads that node instead, and joins its `tasks`. So the tasks of a hard share, and heads at different depths of it,
 * extend one chain. The first node with some parameters is named `layer:<params>`; another (the same share applied
 * to a second input) `layer:<params>@task`. Stops after the `stopAt`-th visible layer when given (a head at a depth).
 */
function chain(
  b: Builder, task: string, value: Value, owner: string, share: string | null, sharing: SharingPlan,
  from: { id: string; kind: ValueKind }, vocab: Width, backboneName: string | null, stopAt: number | null,
): { id: string; kind: ValueKind } {
  const { graph } = b;
  let current = from;
  let index = 0;
  let visible = 0;
  for (const part of backboneParts(value, b.program)) {
    for (const expanded of partLayers(part, current.kind, vocab)) {
      if (stopAt !== null && visible > stopAt) return current;
      const params = `${owner}/${index}`;
      const key = layerKey(params, [current.id]);
      let id = b.layerAt.get(key);
      if (id !== undefined) {
        (graph.node(id) as Extract<IrNode, { kind: 'layer' }>).tasks.push(task);
      } else {
        id = graph.hasNode(`layer:${params}`) ? `layer:${params}@${task}` : `layer:${params}`;
        graph.setNode(id, {
          kind: 'layer', params, owner, share, index, backbone: part.via[0] ?? backboneName, layer: expanded.layer,
          sharing, tasks: [task], shape: null, span: part.call.span,
        });
        graph.setEdge(current.id, id, {});
        b.layerAt.set(key, id);
      }
      current = { id, kind: kindAfterLayer(expanded.layer, current.kind) };
      index++;
      if (expanded.visible) visible++;
    }
  }
  return current;
}

/** The job's target of a task whose head reads none: a constant its loss ignores (the job's `target` says so). */
const NO_TARGET: Expr = { lit: 0 };

function addTask(b: Builder, task: TaskView): void {
  const { graph, program } = b;
  const features = task.features ? program.features.get(task.features) : undefined;
  const dataset = taskDataset(program, task);
  const kind = headKind(task);
  // A head that reads no target (objective) has none; any other head without one was reported.
  const readsTarget = kind !== null && heads[kind].targets !== null;
  if (!features || !dataset || !kind || (readsTarget && !task.target)) return;
  let current: { id: string; kind: ValueKind } = { id: `input:${features.name}`, kind: featuresKind(features) ?? 'vector' };
  const vocab = inputVocab(graph, features);
  const fields = fieldsOf(task.fields, `task \`${task.name}\``);
  const depth = fields.optionalNumber('depth');
  const share = task.share;
  const backboneName = (v: Value | null | undefined) => (v?.v === 'ref' ? v.name : null);

  if (share && share.backbone && share.entry && share.call) {
    const { modules, sharing } = shareModules(b, share, share.entry, share.call);
    switch (share.entry.layout.kind) {
      case 'mixture':
        current = addMixture(b, task, share.name, share.backbone, modules, sharing, current, vocab, share.entry.layout.assigned?.(argsOf(share.call), task.name) ?? null);
        break;
      case 'shared':
      case 'column per task': {
        const owner = share.entry.layout.kind === 'column per task' ? `${share.name}.${task.name}` : share.name;
        current = chain(b, task.name, share.backbone, owner, share.name, sharing, current, vocab, backboneName(share.backbone), depth);
        break;
      }
    }
  } else if (task.fields.backbone && task.fields.backbone.v !== 'absent' && task.fields.backbone.v !== 'error') {
    current = chain(b, task.name, task.fields.backbone, `${task.name}.backbone`, null, { kind: 'hard' }, current, vocab, backboneName(task.fields.backbone), depth);
  }
  const tower = task.fields.tower;
  if (tower && tower.v !== 'absent' && tower.v !== 'error') {
    current = chain(b, task.name, tower, `${task.name}.tower`, null, { kind: 'hard' }, current, vocab, backboneName(tower), null);
  }

  const columns = dataset.columns;
  const type = ((task.target && readsTarget ? targetType(task.target, columns) : null) ?? 'float') as ColumnType;
  const stringClasses = type === 'string' || type === 'list<string>';
  const head: HeadPlan = { kind, units: heads[kind].units(argsOf(task.head!), task.name), classes: stringClasses ? 'vocab' : 'index' };
  const given = task.fields.loss;
  const loss = given?.v === 'call' && isOf(given.ctor, 'loss') ? given.ctor.name : heads[kind].losses.default;
  graph.setNode(`head:${task.name}`, {
    kind: 'head', task: task.name, dataset: dataset.name, head, loss, metrics: taskMetrics(task), weight: fields.number('weight'),
    target: task.target && readsTarget ? toExpr(task.target) : NO_TARGET, targetType: type, span: task.symbol.decl.span,
  });
  // The head reads its features through `current`; its targets come from the same dataset (`dataset` on the node),
  // so no edge from the dataset: it would add a thousand edges to one node of a large program and say nothing new.
  graph.setEdge(current.id, `head:${task.name}`, {});
}

/**
 * A share's modules (its sorted tasks, columns, experts, gates) and its sharing plan, made once: each is as long as
 * the share, so making them for each of its tasks made compiling a share of thousands of tasks quadratic.
 */
function shareModules(b: Builder, share: ShareView, entry: NonNullable<ShareView['entry']>, call: NonNullable<ShareView['call']>): { modules: ShareModules; sharing: SharingPlan } {
  const made = b.shares.get(share.name);
  if (made) return made;
  const tasks = share.tasks.map((t) => t.name).sort();
  const args = argsOf(call);
  const { layout } = entry;
  const modules: ShareModules = layout.kind === 'mixture'
    ? {
      columns: [], tasks, experts: Array.from({ length: layout.experts(args) }, (_, k) => `${share.name}.expert${k}`),
      gates: Object.fromEntries(tasks.map((t) => [t, `${share.name}.gate.${t}`])),
    }
    : { columns: layout.kind === 'column per task' ? tasks.map((t) => `${share.name}.${t}`) : [share.name], tasks, experts: [], gates: {} };
  const built = { modules, sharing: entry.plan(args, modules) };
  b.shares.set(share.name, built);
  return built;
}

/** MMoE: shared experts (merged across tasks by the CSE pass), a softmax gate per task, and the task's mixture (of its assigned experts, when `assign` says). */
function addMixture(
  b: Builder, task: TaskView, share: string, expert: Value, modules: ShareModules, sharing: SharingPlan,
  from: { id: string; kind: ValueKind }, vocab: Width, assigned: number[] | null,
): { id: string; kind: ValueKind } {
  // Task-routed experts: the task's gate mixes only the experts assigned to it.
  const expertOwners = assigned ? assigned.map((k) => modules.experts[k]!) : modules.experts;
  const { gates } = modules;
  const experts = expertOwners.length;
  const { graph } = b;
  const outputs = expertOwners.map((owner) => chain(b, task.name, expert, owner, share, sharing, from, vocab, expert.v === 'ref' ? expert.name : null, null));
  const gateOwner = gates[task.name]!;
  const gateId = `layer:${gateOwner}/0`;
  graph.setNode(gateId, {
    kind: 'layer', params: `${gateOwner}/0`, owner: gateOwner, share, index: 0, backbone: null, layer: { kind: 'dense', units: experts, activation: 'softmax', dropout: 0 },
    sharing, tasks: [task.name], shape: null, span: task.share!.call!.span,
  });
  graph.setEdge(from.id, gateId, {});
  const mixOwner = `${share}.mix.${task.name}`;
  const mixId = `layer:${mixOwner}/0`;
  graph.setNode(mixId, {
    kind: 'layer', params: `${mixOwner}/0`, owner: mixOwner, share, index: 0, backbone: null, layer: { kind: 'mixture', experts: expertOwners, gate: gateOwner },
    sharing, tasks: [task.name], shape: null, span: task.share!.call!.span,
  });
  outputs.forEach((o, k) => graph.setEdge(o.id, mixId, { order: k }));
  graph.setEdge(gateId, mixId, { order: experts });
  return { id: mixId, kind: outputs[0]?.kind ?? 'vector' };
}

export function toExpr(expr: A.Expr): Expr {
  switch (expr.type) {
    case 'Name': return { col: expr.name };
    case 'Number': return { lit: expr.value };
    case 'String': return { lit: expr.value };
    case 'Bool': return { lit: expr.value };
    case 'Null': return { lit: null };
    case 'Unary': return { op: expr.op === 'not' ? 'not' : 'neg', args: [toExpr(expr.operand)] };
    case 'Binary':
      if (expr.op === 'in') return { op: 'in', args: [toExpr(expr.left), expr.right.type === 'List' ? expr.right.items.map(toExpr) : [toExpr(expr.right)]] };
      return { op: expr.op, args: [toExpr(expr.left), toExpr(expr.right)] };
    // The target rule refuses these in a target, and compiling stops on errors.
    case 'Member': case 'Call': case 'List': case 'Record': case 'Error':
      throw new Error(`a ${expr.type} expression reached lowering as a target`);
  }
}
