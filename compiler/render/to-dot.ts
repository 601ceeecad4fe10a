/** The IR as Graphviz DOT: one shape and colour per node kind, shapes on layers, tasks on heads. */
import { type IrGraph, type IrNode } from '../ir/graph.js';
import type { Width } from '../../job/job.js';
import { compareText } from '../../shared/compare.js';

const STYLE: Record<IrNode['kind'], string> = {
  dataset: 'shape=cylinder, style=filled, fillcolor="#dbeafe"',
  transform: 'shape=note, style=filled, fillcolor="#f1f5f9"',
  input: 'shape=box, style="rounded,filled", fillcolor="#e0e7ff"',
  layer: 'shape=box, style=filled, fillcolor="#fef3c7"',
  head: 'shape=box, style="rounded,filled", fillcolor="#dcfce7"',
  plan: 'shape=doubleoctagon, style=filled, fillcolor="#fce7f3"',
};

function width(w: Width): string {
  if (typeof w === 'number') return String(w);
  if ('vocab' in w) return `|${w.vocab.split('.').slice(-2, -1)[0] ?? w.vocab}|`;
  if ('suffixes' in w) return `|${w.suffixes.split('.').slice(-2, -1)[0] ?? w.suffixes} suffixes|`;
  if ('classes' in w) return `|${w.classes}|`;
  return w.sum.map(width).join('+');
}

function label(id: string, node: IrNode): string {
  switch (node.kind) {
    case 'dataset': return `${node.name}\\n${node.files.length} file${node.files.length === 1 ? '' : 's'}`;
    case 'transform': return `${node.transform.kind}(${node.column})`;
    case 'input': return `features ${node.name}\\n[${(node.shape ?? []).map(width).join(', ')}]`;
    case 'layer': {
      const l = node.layer;
      const what = l.kind === 'dense' ? `dense ${l.units} ${l.activation}` : l.kind === 'mixture' ? `mixture of ${l.experts.length}` : l.kind;
      return `${node.params}\\n${what}\\n[${(node.shape ?? []).map(width).join(', ')}]${node.sharing.kind !== 'hard' ? `\\n${node.sharing.kind}` : ''}`;
    }
    case 'head': return `task ${node.task}\\n${node.head.kind} · ${node.loss}`;
    case 'plan': return `train\\n${node.training.optimizer.kind} · ${node.training.sampling.kind}`;
  }
  return id;
}

export function toDot(graph: IrGraph, title: string): string {
  const lines = [`digraph "${title.replace(/"/g, '\\"')}" {`, '  rankdir=LR;', '  node [fontname="Helvetica", fontsize=10];', '  edge [color="#64748b"];'];
  for (const id of [...graph.nodes()].sort()) {
    const node = graph.node(id);
    lines.push(`  "${id}" [label="${label(id, node).replace(/"/g, '\\"')}", ${STYLE[node.kind]}];`);
  }
  for (const e of [...graph.edges()].sort((a, b) => compareText(a.v, b.v) || compareText(a.w, b.w))) lines.push(`  "${e.v}" -> "${e.w}";`);
  lines.push('}');
  return lines.join('\n') + '\n';
}
