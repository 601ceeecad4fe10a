/**
 * The graph IR: a directed acyclic graph (graphlib) whose nodes are datasets, feature transforms, model inputs,
 * backbone layers, task heads and the training plan. Layers carry `params`: the identity of the parameters they
 * use, so two layer nodes with the same params and the same input compute the same thing (merged by a pass).
 * Passes rewrite the graph they are given in place (copying a graph of thousands of nodes through graphlib per pass
 * dominated compile time); the pipeline copies it (`cloneGraph`) only to keep a snapshot for `--dump-after`.
 */
import * as graphlib from '@dagrejs/graphlib';
import type { Span } from '../diagnostics/diagnostic.js';
import type {
  ColumnPlan, SplitPlan, TransformPlan, Width, LayerPlan, SharingPlan, HeadPlan, LossKind, MetricKind, Expr, ColumnType, TrainingPlan,
} from '../../job/job.js';
import { compareText } from '../../shared/compare.js';
import type { ValueKind } from '../../stdlib/index.js';

export type { ValueKind };

export type IrNode =
  | { kind: 'dataset'; name: string; files: string[]; columns: ColumnPlan[]; split: SplitPlan; span: Span }
  | { kind: 'transform'; dataset: string; column: string; transform: TransformPlan; shape: Width[] | null; span: Span }
  | {
    kind: 'input'; name: string; dataset: string; valueKind: ValueKind; shape: Width[] | null; span: Span;
    /** Set by onehot-lookup: its one-hot features may be fed as kernel row ids (every reader is a dense layer). */
    lookup?: boolean;
  }
  | {
    kind: 'layer';
    /** The parameters this layer uses: `${owner}/${index}`. Same params + same input = same computation. */
    params: string;
    /** The module the parameters belong to (a share, a task's private backbone, a tower). */
    owner: string;
    /** The share the parameters belong to (a column, expert or gate of it), or null. */
    share: string | null;
    index: number;
    backbone: string | null;
    layer: LayerPlan;
    sharing: SharingPlan;
    tasks: string[];
    shape: Width[] | null;
    span: Span;
  }
  | {
    kind: 'head'; task: string; dataset: string; head: HeadPlan; loss: LossKind; metrics: MetricKind[]; weight: number;
    target: Expr; targetType: ColumnType; span: Span;
    /** Tasks whose predictions it reads, and whose product is its prediction: each an edge from its head, after its model's. */
    reads: string[]; product: string[];
  }
  | { kind: 'plan'; training: TrainingPlan; span: Span };

export interface IrEdge {
  /** Position of a transform within its input (inputs concatenate in this order). */
  order?: number;
}

export type IrGraph = graphlib.Graph<unknown, IrNode, IrEdge>;

export const PLAN_NODE = 'plan';

/** What identifies a layer's value: its parameters and what it reads. Equal keys, equal values (the builder and merge-identical-layers both go by it). */
export function layerKey(params: string, inputs: readonly string[]): string {
  return `${params}|${inputs.join(',')}`;
}

export function newGraph(): IrGraph {
  return new graphlib.Graph<unknown, IrNode, IrEdge>({ directed: true, multigraph: false, compound: false });
}

/** A deep copy, so a snapshot stays as it was while later passes rewrite the graph. */
export function cloneGraph(graph: IrGraph): IrGraph {
  const copy = newGraph();
  for (const id of graph.nodes()) copy.setNode(id, structuredClone(graph.node(id)));
  for (const e of graph.edges()) copy.setEdge(e.v, e.w, structuredClone(graph.edge(e) ?? {}));
  return copy;
}

export function nodesOfKind<K extends IrNode['kind']>(graph: IrGraph, kind: K): [string, Extract<IrNode, { kind: K }>][] {
  const out: [string, Extract<IrNode, { kind: K }>][] = [];
  for (const id of graph.nodes()) {
    const node = graph.node(id);
    if (node.kind === kind) out.push([id, node as Extract<IrNode, { kind: K }>]);
  }
  return out;
}

type NodesByKind = { [K in IrNode['kind']]: [string, Extract<IrNode, { kind: K }>][] };

/** Every node, grouped by kind, in one walk over the graph. */
export function nodesByKind(graph: IrGraph): NodesByKind {
  const out: NodesByKind = { dataset: [], transform: [], input: [], layer: [], head: [], plan: [] };
  for (const id of graph.nodes()) {
    const node = graph.node(id);
    (out[node.kind] as [string, IrNode][]).push([id, node]);
  }
  return out;
}

/** Predecessors sorted by edge order, then id: inputs read their transforms in this order. */
export function orderedPredecessors(graph: IrGraph, id: string): string[] {
  return (graph.predecessors(id) ?? []).sort((a, b) => (graph.edge(a, id)?.order ?? 0) - (graph.edge(b, id)?.order ?? 0) || compareText(a, b));
}

/**
 * The nodes of the given kinds, each after every node of those kinds it reads (a depth-first walk over predecessors).
 * Nodes of other kinds are neither listed nor walked through. Ours rather than graphlib's `alg.topsort`, which walks
 * the whole graph through plain objects used as sets and grew superlinearly with the graph.
 */
export function topologicalOrder(graph: IrGraph, kinds: ReadonlySet<IrNode['kind']>): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    seen.add(id);
    for (const pred of graph.predecessors(id) ?? []) if (!seen.has(pred) && kinds.has(graph.node(pred).kind)) visit(pred);
    order.push(id);
  };
  for (const id of graph.nodes()) if (!seen.has(id) && kinds.has(graph.node(id).kind)) visit(id);
  return order;
}

export function toJson(graph: IrGraph): unknown {
  return graphlib.json.write(graph as unknown as graphlib.Graph);
}

export { graphlib };
