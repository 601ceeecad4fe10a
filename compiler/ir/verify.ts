/**
 * The IR's invariants, checked before and after every pass in tests (and with `--verify-ir`). A violation is a
 * compiler bug, never a user error: the messages are for us.
 */
import * as graphlib from '@dagrejs/graphlib';
import { type IrGraph, type IrNode, PLAN_NODE, orderedPredecessors } from './graph.js';

const allowedEdges: Record<string, string[]> = {
  dataset: ['transform'],
  transform: ['input'],
  input: ['layer', 'head'],
  layer: ['layer', 'head'],
  head: ['plan', 'head'],
  plan: [],
};

export function verifyGraph(graph: IrGraph, options: { shapes?: boolean } = {}): string[] {
  const problems: string[] = [];
  if (!graphlib.alg.isAcyclic(graph as unknown as graphlib.Graph)) problems.push('the graph has a cycle');
  if (!graph.hasNode(PLAN_NODE)) problems.push('no plan node');
  for (const e of graph.edges()) {
    const from = graph.node(e.v);
    const to = graph.node(e.w);
    if (!from || !to) {
      problems.push(`edge ${e.v} → ${e.w} has a missing end`);
      continue;
    }
    if (!allowedEdges[from.kind]?.includes(to.kind)) problems.push(`edge ${e.v} → ${e.w}: ${from.kind} may not feed ${to.kind}`);
  }
  for (const id of graph.nodes()) {
    const node = graph.node(id);
    const preds = orderedPredecessors(graph, id);
    const kinds = preds.map((p) => graph.node(p).kind);
    switch (node.kind) {
      case 'transform':
        if (preds.length !== 1 || kinds[0] !== 'dataset') problems.push(`${id}: a transform reads exactly one dataset`);
        else if (preds[0] !== `dataset:${node.dataset}`) problems.push(`${id}: reads ${preds[0]}, not dataset:${node.dataset}`);
        break;
      case 'input':
        if (preds.length === 0) problems.push(`${id}: an input has at least one transform`);
        for (const p of preds) {
          const t = graph.node(p);
          if (t.kind === 'transform' && t.dataset !== node.dataset) problems.push(`${id}: transform ${p} is from dataset ${t.dataset}, not ${node.dataset}`);
        }
        if (options.shapes && !node.shape) problems.push(`${id}: no shape`);
        break;
      case 'layer':
        if (node.layer.kind === 'mixture' ? preds.length < 2 : preds.length !== 1) problems.push(`${id}: a ${node.layer.kind} layer has ${preds.length} inputs`);
        if (node.tasks.length === 0) problems.push(`${id}: a layer serves no task`);
        if (options.shapes && !node.shape) problems.push(`${id}: no shape`);
        break;
      case 'head': {
        const model = preds.filter((p) => graph.node(p).kind !== 'head');
        const dependencies = preds.filter((p) => graph.node(p).kind === 'head').map((p) => (graph.node(p) as Extract<IrNode, { kind: 'head' }>).task);
        const named = [...node.reads, ...node.product];
        if (dependencies.length !== new Set(named).size || dependencies.some((t) => !named.includes(t))) {
          problems.push(`${id}: reads the heads of ${dependencies.join(', ') || 'no task'}, but its task depends on ${named.join(', ') || 'none'}`);
        }
        if (model.length !== 1) problems.push(`${id}: a head reads exactly one input or layer, found ${model.length}`);
        else {
          // A chain cut before its input is the layer's problem, reported there.
          const from = inputOf(graph, model[0]!);
          if (from && from.dataset !== node.dataset) problems.push(`${id}: its targets come from ${node.dataset}, its features from ${from.dataset}`);
        }
        if (!graph.hasEdge(id, PLAN_NODE)) problems.push(`${id}: not connected to the plan`);
        break;
      }
      default:
        break;
    }
  }
  return problems;
}

/** The input a layer or input node computes from, following first predecessors (a mixture's first is an expert). */
function inputOf(graph: IrGraph, id: string): Extract<IrNode, { kind: 'input' }> | null {
  for (let at: string | undefined = id; at !== undefined; at = orderedPredecessors(graph, at)[0]) {
    const node = graph.node(at);
    if (node.kind === 'input') return node;
    if (node.kind !== 'layer') return null;
  }
  return null;
}
