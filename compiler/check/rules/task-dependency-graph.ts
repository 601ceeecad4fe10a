/**
 * Tasks that read or multiply other tasks' predictions (`reads`, `product`) form no cycle, read predictions of their
 * own rows (the same features), of heads that have one to give, into a head that reads a vector per row; and a
 * product task has no layers of its own.
 */
import { Codes } from '../../diagnostics/codes.js';
import type { Span } from '../../diagnostics/diagnostic.js';
import { heads } from '../../../stdlib/index.js';
import type { Rule } from '../rule.js';
import { orList } from '../../util/or-list.js';
import type { DiagnosticsContext } from '../context.js';
import { headKind, taskDependencies, type CheckedProgram, type TaskDependency, type TaskView } from '../model.js';

const article = (word: string) => (/^[aeiou]/.test(word) ? 'an' : 'a');
const quoted = (names: readonly string[]) => names.map((n) => `\`${n}\``).join(' → ');

export const taskDependencyGraph: Rule = {
  name: 'task-dependency-graph',
  run(program, ctx) {
    reportCycles(program, ctx);
    for (const task of program.tasks.values()) {
      const { reads, product } = taskDependencies(task);
      for (const dep of [...reads, ...product]) sameRows(program, ctx, task, dep);
      for (const dep of reads) readable(program, ctx, dep);
      if (reads.length > 0) readsPerRow(ctx, task);
      if (product.length > 0) {
        multipliable(program, ctx, task, product);
        noLayers(ctx, task);
      }
    }
  },
};

/** A task depends, through `reads` and `product`, on tasks computed before it: never on itself. */
function reportCycles(program: CheckedProgram, ctx: DiagnosticsContext): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]) => {
    state.set(name, 'visiting');
    const task = program.tasks.get(name);
    const { reads, product } = task ? taskDependencies(task) : { reads: [], product: [] };
    for (const dep of [...reads, ...product]) {
      if (state.get(dep.name) === 'visiting') {
        const cycle = [...path.slice(path.indexOf(dep.name)), name, dep.name];
        ctx.report({
          code: Codes.TaskDependencyCycle, message: `task \`${dep.name}\` depends on its own prediction: ${quoted(cycle)}`, span: dep.span,
          label: 'this reference closes the cycle', help: 'a task reads or multiplies the predictions of tasks computed before it: remove one reference of the cycle',
        });
      } else if (!state.has(dep.name) && program.tasks.has(dep.name)) visit(dep.name, [...path, name]);
    }
    state.set(name, 'done');
  };
  for (const name of program.tasks.keys()) if (!state.has(name)) visit(name, []);
}

/** A prediction is read on the rows of one batch: both tasks read one feature set. */
function sameRows(program: CheckedProgram, ctx: DiagnosticsContext, task: TaskView, dep: TaskDependency): void {
  const other = program.tasks.get(dep.name);
  if (!other || !task.features || !other.features || other.features === task.features) return;
  ctx.report({
    code: Codes.DependencyOtherRows, message: `task \`${dep.name}\` predicts from features \`${other.features}\`, but task \`${task.name}\` reads \`${task.features}\``,
    span: dep.span, label: 'predictions of other rows',
    help: `a task reads the predictions of its own batch's rows: give \`${dep.name}\` and \`${task.name}\` the same \`features\``,
  });
}

/** `reads` takes a vector per row: not a prediction per token or pixel, nor an objective's. */
function readable(program: CheckedProgram, ctx: DiagnosticsContext, dep: TaskDependency): void {
  const kind = headOf(program, dep.name);
  if (!kind || heads[kind].prediction.readable) return;
  ctx.report({
    code: Codes.PredictionNotUsable, message: `task \`${dep.name}\` has ${article(kind)} ${kind} head, whose prediction cannot be read as a vector per row`, span: dep.span,
    label: `${article(kind)} ${kind} prediction`, help: `\`reads\` takes the prediction of ${readableKinds()} heads`,
  });
}

/** What `reads` gives a head is a vector per row, after what reaches it: a head of a vector per row takes it. */
function readsPerRow(ctx: DiagnosticsContext, task: TaskView): void {
  const kind = headKind(task);
  if (!kind || !task.head || heads[kind].reads === 'vector') return;
  ctx.report({
    code: Codes.HeadBackboneMismatch, message: `${article(kind)} ${kind} head reads ${heads[kind].reads === 'sequence' ? 'a vector per token' : 'a feature map'}: it cannot read other tasks' predictions, one vector per row`,
    span: task.fields.reads!.span, label: 'a vector per row', secondary: [{ span: task.head.span, message: `${kind} head here` }],
    help: 'only a head that reads a vector per row reads other tasks\' predictions: remove `reads`',
  });
}

/** A product multiplies predictions of the product task's own head kind, which must be one that multiplies. */
function multipliable(program: CheckedProgram, ctx: DiagnosticsContext, task: TaskView, product: TaskDependency[]): void {
  const kind = headKind(task);
  if (!kind || !task.head) return;
  if (heads[kind].prediction.product === null) {
    ctx.report({
      code: Codes.PredictionNotUsable, message: `a product of predictions cannot be ${article(kind)} ${kind} prediction`, span: task.head.span,
      label: `${article(kind)} ${kind} head`, help: `a \`product\` task has ${multipliableKinds()} head, as the tasks it multiplies`,
    });
    return;
  }
  for (const dep of product) {
    const factor = headOf(program, dep.name);
    if (!factor || factor === kind) continue;
    ctx.report({
      code: Codes.PredictionNotUsable, message: `task \`${task.name}\` multiplies ${kind} predictions, but task \`${dep.name}\` has ${article(factor)} ${factor} head`,
      span: dep.span, label: `${article(factor)} ${factor} prediction`, secondary: [{ span: task.head.span, message: `${kind} head here` }],
      help: `every task of a \`product\` has the product task's head kind: here \`${kind}\``,
    });
  }
}

/** A product task's prediction is the product: layers of its own would be computed for nothing. */
function noLayers(ctx: DiagnosticsContext, task: TaskView): void {
  const unused: { field: string; span: Span }[] = [];
  for (const field of ['backbone', 'tower', 'depth', 'reads']) {
    const value = task.fields[field];
    if (value && value.v !== 'absent' && value.v !== 'error' && !value.implicit) unused.push({ field: `\`${field}\``, span: value.span });
  }
  const listed = task.share?.tasks.find((t) => t.name === task.name);
  if (task.share && listed) unused.push({ field: `share \`${task.share.name}\``, span: listed.span });
  for (const { field, span } of unused) {
    ctx.report({
      code: Codes.ProductTaskWithLayers, message: `task \`${task.name}\` is a product of predictions: ${field} is never used`, span,
      label: 'never used', help: 'a `product` task has no head of its own, so nothing reads its representation: remove this',
    });
  }
}

function headOf(program: CheckedProgram, name: string) {
  const task = program.tasks.get(name);
  return task ? headKind(task) : null;
}

/** The head kinds whose entry says yes, as help lists them. */
const kindsWhere = (keep: (entry: (typeof heads)[keyof typeof heads]) => boolean) =>
  orList(Object.entries(heads).filter(([, entry]) => keep(entry)).map(([name]) => `\`${name}\``));
const readableKinds = () => kindsWhere((e) => e.prediction.readable);
const multipliableKinds = () => `a ${kindsWhere((e) => e.prediction.product !== null)}`;
