/**
 * Checked program → graph IR. Each task is built as its own path, input → backbone → tower → head, but a layer that
 * would apply the same parameters to the same node as one already built is that node (see `chain`): so the tasks of
 * a hard share, at any depth, read one backbone pass from the start, and a large program never holds a copy of its
 * shared layers per task.
 */
import * as path from 'node:path';
import type * as A from '../syntax/ast.js';
import type { CheckedProgram, TaskView, FeaturesView, DatasetView, ShareView } from '../check/model.js';
import { featuresKind, headKind, taskDataset, taskDependencies, taskMetrics } from '../check/model.js';
import { backboneParts, type BackbonePart } from '../check/backbone.js';
import { argsOf, fieldsOf, planOf } from '../check/args.js';
import { targetType } from '../check/target.js';
import type { Value } from '../check/values.js';
import { heads, isOf, kindAfterLayer, type ExpandedLayer, type ExtractionLevel, type HeadEntry, type ShareModules, type TokenIds } from '../../stdlib/index.js';
import type { Width, SharingPlan, HeadPlan, Expr, ColumnPlan, ColumnType, LayerPlan } from '../../job/job.js';
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
  addDependencies(graph);
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

/**
 * What a sequence model's embedding reads of a token input (its transform producing ids): the width of its vocabulary,
 * and its suffix and shape ids when it has them.
 */
function inputTokenIds(graph: IrGraph, features: FeaturesView): TokenIds {
  const tokenTransform = features.transforms.findIndex((t) => isOf(t.call.ctor, 'transform') && t.call.ctor.produces === 'ids');
  if (tokenTransform < 0) return { vocab: 0 };
  const id = `transform:${features.name}/${tokenTransform}`;
  const node = graph.node(id);
  const plan = node.kind === 'transform' && node.transform.kind === 'tokens' ? node.transform : null;
  const suffixLengths = plan?.suffixes ?? 0;
  const shape = plan?.shape ?? false;
  return suffixLengths > 0 || shape ? { vocab: { vocab: id }, subwords: { suffixLengths, suffixVocab: { suffixes: id }, shape } } : { vocab: { vocab: id } };
}

/** A part's layers as they read `input`: a sequence model reading token ids embeds them first. */
function partLayers(part: BackbonePart, input: ValueKind, vocab: TokenIds): ExpandedLayer[] {
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
  from: { id: string; kind: ValueKind }, vocab: TokenIds, backboneName: string | null, stopAt: number | null,
): { id: string; kind: ValueKind } {
  const { graph } = b;
  let current = from;
  let index = 0;
  let visible = 0;
  for (const part of backboneParts(value, b.program)) {
    for (const expanded of partLayers(part, current.kind, vocab)) {
      if (stopAt !== null && visible > stopAt) return current;
      const id = layerNode(b, task, [current.id], {
        params: `${owner}/${index}`, owner, share, index, backbone: part.via[0] ?? backboneName, layer: expanded.layer, sharing, span: part.call.span,
      });
      current = { id, kind: kindAfterLayer(expanded.layer, current.kind) };
      index++;
      if (expanded.visible) visible++;
    }
  }
  return current;
}

type LayerNode = Extract<IrNode, { kind: 'layer' }>;

/**
 * The node applying a layer's parameters to `inputs` (in order): the one made already, which `task` joins, or a new
 * one, named `layer:<params>`, or `layer:<params>@task` when that name is taken (the same parameters on another input).
 */
function layerNode(b: Builder, task: string, inputs: string[], layer: Omit<LayerNode, 'kind' | 'tasks' | 'shape'>): string {
  const { graph } = b;
  const key = layerKey(layer.params, inputs);
  let id = b.layerAt.get(key);
  if (id !== undefined) {
    (graph.node(id) as LayerNode).tasks.push(task);
    return id;
  }
  id = graph.hasNode(`layer:${layer.params}`) ? `layer:${layer.params}@${task}` : `layer:${layer.params}`;
  graph.setNode(id, { kind: 'layer', ...layer, tasks: [task], shape: null });
  inputs.forEach((input, k) => graph.setEdge(input, id, inputs.length > 1 ? { order: k } : {}));
  b.layerAt.set(key, id);
  return id;
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
  const vocab = inputTokenIds(graph, features);
  const fields = fieldsOf(task.fields, `task \`${task.name}\``);
  const depth = fields.optionalNumber('depth');
  const share = task.share;
  const backboneName = (v: Value | null | undefined) => (v?.v === 'ref' ? v.name : null);
  const { reads, product } = taskDependencies(task);

  // A product task's prediction is its factors' product: no layers of its own (rule task-dependency-graph), its head
  // reads its input, for the rows of its batches.
  const ownLayers = product.length === 0;
  if (ownLayers && share && share.backbone && share.entry && share.call) {
    const { modules, sharing } = shareModules(b, share, share.entry, share.call);
    switch (share.entry.layout.kind) {
      case 'mixture':
        current = addMixture(b, task, share.name, share.backbone, modules, sharing, current, vocab, share.entry.layout.assigned?.(argsOf(share.call), task.name) ?? null);
        break;
      case 'extraction':
        current = addExtraction(b, task, share.name, share.backbone, modules, sharing, current, vocab);
        break;
      case 'shared':
      case 'column per task': {
        const owner = share.entry.layout.kind === 'column per task' ? `${share.name}.${task.name}` : share.name;
        current = chain(b, task.name, share.backbone, owner, share.name, sharing, current, vocab, backboneName(share.backbone), depth);
        break;
      }
    }
  } else if (ownLayers && task.fields.backbone && task.fields.backbone.v !== 'absent' && task.fields.backbone.v !== 'error') {
    current = chain(b, task.name, task.fields.backbone, `${task.name}.backbone`, null, { kind: 'hard' }, current, vocab, backboneName(task.fields.backbone), depth);
  }
  const tower = task.fields.tower;
  if (ownLayers && tower && tower.v !== 'absent' && tower.v !== 'error') {
    current = chain(b, task.name, tower, `${task.name}.tower`, null, { kind: 'hard' }, current, vocab, backboneName(tower), null);
  }

  const columns = dataset.columns;
  const type = ((task.target && readsTarget ? targetType(task.target, columns) : null) ?? 'float') as ColumnType;
  const stringClasses = type === 'string' || type === 'list<string>';
  const headArgs = argsOf(task.head!);
  const entry: HeadEntry = heads[kind];
  const head: HeadPlan = { kind, units: entry.units(headArgs, task.name), classes: stringClasses ? 'vocab' : 'index', ...entry.plan?.(headArgs) };
  const given = task.fields.loss;
  const loss = given?.v === 'call' && isOf(given.ctor, 'loss') ? given.ctor.name : heads[kind].losses.default;
  graph.setNode(`head:${task.name}`, {
    kind: 'head', task: task.name, dataset: dataset.name, head, loss, metrics: taskMetrics(task), weight: fields.number('weight'),
    target: task.target && readsTarget ? toExpr(task.target) : NO_TARGET, targetType: type, span: task.symbol.decl.span,
    reads: reads.map((d) => d.name), product: product.map((d) => d.name),
  });
  // The head reads its features through `current`; its targets come from the same dataset (`dataset` on the node),
  // so no edge from the dataset: it would add a thousand edges to one node of a large program and say nothing new.
  graph.setEdge(current.id, `head:${task.name}`, {});
}

/**
 * An edge from the head of each task another reads or multiplies to that task's head, ordered after the edge from what
 * its model computes (order 0): so every order of the graph computes a prediction before the heads that read it.
 */
function addDependencies(graph: IrGraph): void {
  for (const id of graph.nodes()) {
    const node = graph.node(id);
    if (node.kind !== 'head') continue;
    [...node.reads, ...node.product].forEach((task, k) => {
      if (graph.hasNode(`head:${task}`)) graph.setEdge(`head:${task}`, id, { order: k + 1 });
    });
  }
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
      gates: Object.fromEntries(tasks.map((t) => [t, `${share.name}.gate.${t}`])), levels: [],
    }
    : layout.kind === 'extraction'
      ? { columns: [], tasks, experts: [], gates: {}, levels: extractionLevels(share.name, tasks, layout.shared(args), layout.perTask(args), layout.levels(args)) }
      : { columns: layout.kind === 'column per task' ? tasks.map((t) => `${share.name}.${t}`) : [share.name], tasks, experts: [], gates: {}, levels: [] };
  const built = { modules, sharing: entry.plan(args, modules) };
  b.shares.set(share.name, built);
  return built;
}

/** The one layer of a share's gate or mixture module `owner`, reading `inputs` in order. */
function shareLayer(b: Builder, task: string, owner: string, where: Pick<LayerNode, 'share' | 'sharing' | 'span'>, layer: LayerPlan, inputs: string[]): string {
  return layerNode(b, task, inputs, { params: `${owner}/0`, owner, index: 0, backbone: null, layer, ...where });
}

/** A gate: softmax weights over `experts`, from what it reads. */
const gateLayer = (experts: number): LayerPlan => ({ kind: 'dense', units: experts, activation: 'softmax', dropout: 0 });

/** MMoE: shared experts (merged across tasks by the CSE pass), a softmax gate per task, and the task's mixture (of its assigned experts, when `assign` says). */
function addMixture(
  b: Builder, task: TaskView, share: string, expert: Value, modules: ShareModules, sharing: SharingPlan,
  from: { id: string; kind: ValueKind }, vocab: TokenIds, assigned: number[] | null,
): { id: string; kind: ValueKind } {
  // Task-routed experts: the task's gate mixes only the experts assigned to it.
  const expertOwners = assigned ? assigned.map((k) => modules.experts[k]!) : modules.experts;
  const { gates } = modules;
  const experts = expertOwners.length;
  const outputs = expertOwners.map((owner) => chain(b, task.name, expert, owner, share, sharing, from, vocab, expert.v === 'ref' ? expert.name : null, null));
  const where = { share, sharing, span: task.share!.call!.span };
  const gateOwner = gates[task.name]!;
  const gateId = shareLayer(b, task.name, gateOwner, where, gateLayer(experts), [from.id]);
  const mixId = shareLayer(b, task.name, `${share}.mix.${task.name}`, where, { kind: 'mixture', experts: expertOwners, gate: gateOwner }, [...outputs.map((o) => o.id), gateId]);
  return { id: mixId, kind: outputs[0]?.kind ?? 'vector' };
}

/**
 * The module ids of CGC (one level, named `<share>.shared.<k>`, `<share>.expert.<task>.<k>`, `<share>.gate.<task>`,
 * `<share>.mix.<task>`) or of PLE (the same under `<share>.level<l>.`, and each level but the last has
 * `shared_gate` and `shared_mix`). A task name has no dot, so no task's ids can be another's or the shared ones.
 */
function extractionLevels(share: string, tasks: string[], shared: number, perTask: number, levels: number): ExtractionLevel[] {
  const count = <T>(n: number, id: (k: number) => T) => Array.from({ length: n }, (_, k) => id(k));
  const byTask = <T>(of: (task: string) => T) => Object.fromEntries(tasks.map((t) => [t, of(t)]));
  return count(levels, (l) => {
    const prefix = levels === 1 ? share : `${share}.level${l + 1}`;
    const last = l === levels - 1;
    return {
      shared: count(shared, (k) => `${prefix}.shared.${k}`),
      experts: byTask((t) => count(perTask, (k) => `${prefix}.expert.${t}.${k}`)),
      gates: byTask((t) => `${prefix}.gate.${t}`),
      mixes: byTask((t) => `${prefix}.mix.${t}`),
      sharedGate: last ? null : `${prefix}.shared_gate`,
      sharedMix: last ? null : `${prefix}.shared_mix`,
    };
  });
}

/**
 * CGC and PLE, for one task: its path through every level to its last mixture. A level's experts and gates read the
 * share's input at the first level, then the previous level's mixture of the same side (a task's own, or the shared
 * one); each task's gate mixes the shared experts and its own; the shared gate (every level but the last) mixes all
 * the level's experts. A task reaches other tasks' lower experts through the shared mixtures, so everything its path
 * reads lists it among its `tasks` (the tasks whose gradients reach it), each module once per task.
 */
function addExtraction(
  b: Builder, task: TaskView, share: string, expert: Value, modules: ShareModules, sharing: SharingPlan,
  from: { id: string; kind: ValueKind }, vocab: TokenIds,
): { id: string; kind: ValueKind } {
  const where = { share, sharing, span: task.share!.call!.span };
  const visited = new Map<string, { id: string; kind: ValueKind }>();
  const once = (owner: string, make: () => { id: string; kind: ValueKind }) => {
    let out = visited.get(owner);
    if (!out) visited.set(owner, (out = make()));
    return out;
  };
  const expertOutput = (owner: string, input: { id: string; kind: ValueKind }) =>
    once(owner, () => chain(b, task.name, expert, owner, share, sharing, input, vocab, expert.v === 'ref' ? expert.name : null, null));
  /** A gate or mixture, made by the first task to reach it on these sources. */
  const layerOf = (owner: string, layer: LayerPlan, sources: string[]) => once(owner, () => ({ id: shareLayer(b, task.name, owner, where, layer, sources), kind: 'vector' }));
  /** The mixture of `experts` (each read from its side's input) by a softmax gate reading `gateInput`. */
  const mixed = (mixOwner: string, gateOwner: string, experts: { owner: string; input: { id: string; kind: ValueKind } }[], gateInput: { id: string; kind: ValueKind }) => {
    const outputs = experts.map((e) => expertOutput(e.owner, e.input));
    const gate = layerOf(gateOwner, gateLayer(experts.length), [gateInput.id]);
    const mix = layerOf(mixOwner, { kind: 'mixture', experts: experts.map((e) => e.owner), gate: gateOwner }, [...outputs.map((o) => o.id), gate.id]);
    return { id: mix.id, kind: outputs[0]?.kind ?? 'vector' };
  };
  const { levels, tasks } = modules;
  /** What `side` (a task, or null for the shared side) reads at level `l`: the input, or its mixture of the level before. */
  const inputOf = (l: number, side: string | null): { id: string; kind: ValueKind } => (l === 0 ? from : sideOutput(l - 1, side));
  const sideOutput = (l: number, side: string | null): { id: string; kind: ValueKind } => once(`level ${l} of ${side ?? 'the shared side'}`, () => {
    const level = levels[l]!;
    const shared = level.shared.map((owner) => ({ owner, input: inputOf(l, null) }));
    const own = (t: string) => level.experts[t]!.map((owner) => ({ owner, input: inputOf(l, t) }));
    if (side === null) return mixed(level.sharedMix!, level.sharedGate!, [...shared, ...tasks.flatMap(own)], inputOf(l, null));
    return mixed(level.mixes[side]!, level.gates[side]!, [...shared, ...own(side)], inputOf(l, side));
  });
  return sideOutput(levels.length - 1, task.name);
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
