/**
 * A run's model drawn from its job when the run kept no graph.dot (a job trained by `mtl train`, a derived variant):
 * inputs, modules with their layers and sharing, and task heads. Coarser than the compiler's graph, which also shows
 * datasets, transforms and the training plan, but every run has a job.
 */
import type { Job } from '../../job/job.js';

export function jobDot(job: Job, title: string): string {
  const quote = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const lines = [`digraph ${quote(title)} {`, '  rankdir=LR;', '  node [fontname="Helvetica", fontsize=10];', '  edge [color="#64748b"];'];
  const source = (from: { input?: string; module?: string }) => (from.input !== undefined ? `input:${from.input}` : `module:${from.module}`);
  for (const input of job.inputs ?? []) lines.push(`  ${quote(`input:${input.id}`)} [label=${quote(`features ${input.id}`)}, shape=box, style="rounded,filled", fillcolor="#e0e7ff"];`);
  for (const module of job.modules ?? []) {
    const layers = (module.layers ?? []).map((l) => ('units' in l ? `${l.kind} ${l.units}` : l.kind)).join(', ');
    lines.push(`  ${quote(`module:${module.id}`)} [label=${quote(`${module.id}\\n${layers}\\n${module.sharing?.kind ?? ''}`)}, shape=box, style=filled, fillcolor="#fef3c7"];`);
    for (const from of module.from ?? []) lines.push(`  ${quote(source(from as { input?: string; module?: string }))} -> ${quote(`module:${module.id}`)};`);
  }
  for (const task of job.tasks ?? []) {
    lines.push(`  ${quote(`task:${task.name}`)} [label=${quote(`task ${task.name}\\n${task.head?.kind ?? ''} · ${task.loss ?? ''}`)}, shape=box, style="rounded,filled", fillcolor="#dcfce7"];`);
    lines.push(`  ${quote(source(task.from as { input?: string; module?: string }))} -> ${quote(`task:${task.name}`)};`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
