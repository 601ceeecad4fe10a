/**
 * Rules: a task's target varies over the training split, and a regression target is of a scale float32 can train.
 * A target that is null in every training row, or a comparison that is always false (`marital_stat == "never married"`
 * against "Never married"), trains nothing or a constant; the run stops in the fitting pass with the values the
 * columns do have and the closest to each string in the target. A regression target near 1e20 would only diverge.
 */
import type { Expr, TaskPlan } from '../../job/job.js';
import { suggest } from '../../shared/did-you-mean.js';
import { UserError } from '../errors.js';
import { cellReader, type CellValue } from './columns.js';
import type { DatasetChunk } from './dataset-reader.js';
import { compileExpr, exprColumns, forEachLeaf } from './expr.js';
import { describeValue } from './row-errors.js';
import { splitId } from './split.js';

const TRAIN = splitId('train');
/** Distinct values counted per column, enough for a message and a suggestion, bounded for high-cardinality columns. */
const MAX_DISTINCT = 1000;
const SHOWN = 8;
/**
 * The largest regression target trained as is. Training runs in float32: a squared error overflows above ~1.8e19, and
 * well below that no learning rate both moves the output that far and keeps the rest of the model stable.
 */
export const MAX_REGRESSION_TARGET = 1e15;

/** Whether the rule applies: the target reads a column (an objective head's target is the constant 0) and is scalar. */
export function checksTarget(task: TaskPlan): boolean {
  return !task.targetType.startsWith('list<') && exprColumns(task.target).length > 0;
}

function stringLiterals(expr: Expr): string[] {
  const out: string[] = [];
  forEachLeaf(expr, (leaf) => {
    if ('lit' in leaf && typeof leaf.lit === 'string' && !out.includes(leaf.lit)) out.push(leaf.lit);
  });
  return out;
}

export class TargetChecker {
  private rows = 0;
  private nulls = 0;
  private readonly outcomes = new Set<CellValue>();
  private largest = 0;
  private readonly columns: string[];
  private readonly values = new Map<string, Map<CellValue, number>>();

  constructor(private readonly task: TaskPlan) {
    this.columns = exprColumns(task.target);
    for (const column of this.columns) this.values.set(column, new Map());
  }

  observe(chunk: DatasetChunk): void {
    const value = compileExpr(this.task.target, (name) => cellReader(chunk.column(name)));
    const readers = this.columns.map((name) => [this.values.get(name)!, cellReader(chunk.column(name))] as const);
    for (let r = 0; r < chunk.length; r++) {
      if (chunk.split[r] !== TRAIN) continue;
      this.rows++;
      const v = value(r);
      if (v === null) this.nulls++;
      else if (this.outcomes.size < 2) this.outcomes.add(v);
      if (typeof v === 'number' && Math.abs(v) > this.largest) this.largest = Math.abs(v);
      for (const [counts, read] of readers) {
        const key = read(r); // described only if the rule fails: this runs for every training row
        if (counts.size < MAX_DISTINCT || counts.has(key)) counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
  }

  finish(): void {
    if (this.rows === 0) return; // an empty training split is reported on its own
    const [only] = this.outcomes;
    let what: string;
    if (this.nulls === this.rows) what = `is null in all ${this.rows} training rows`;
    else if (this.outcomes.size === 1 && typeof only === 'boolean') {
      what = `is ${String(only)} in all ${this.rows - this.nulls} training rows with a value${this.nulls > 0 ? ` (null in ${this.nulls} more)` : ''}`;
    } else if (this.task.head.kind === 'regression' && this.largest > MAX_REGRESSION_TARGET) {
      throw new UserError(
        `target of task ${this.task.name} (${this.describeColumnNames()}) reaches ${this.largest.toPrecision(3)} in magnitude in the training split; a regression target this large cannot be trained in float32 whatever the learning rate (its squared error overflows above ~1.8e19); standardise it first, e.g. divide it by 1e${Math.floor(Math.log10(this.largest))} or take its log`,
      );
    } else return;
    throw new UserError(`target of task ${this.task.name} ${what}, so the task would learn nothing; ${this.describeColumns()}`);
  }

  private describeColumnNames(): string {
    return `${this.columns.length === 1 ? 'column' : 'columns'} ${this.columns.map((c) => `"${c}"`).join(', ')}`;
  }

  private describeColumns(): string {
    const parts: string[] = [];
    const candidates: string[] = [];
    for (const [column, counts] of this.values) {
      const sorted = [...counts].sort((a, b) => b[1] - a[1]);
      for (const [v] of sorted) if (typeof v === 'string') candidates.push(v);
      const shown = sorted.slice(0, SHOWN).map(([v, n]) => `${describeValue(v)} (${n})`).join(', ');
      const more = counts.size >= MAX_DISTINCT ? `, and more` : sorted.length > SHOWN ? `, and ${sorted.length - SHOWN} more` : '';
      parts.push(`column "${column}" holds ${shown}${more} in the training split`);
    }
    let text = parts.join('; ');
    for (const literal of stringLiterals(this.task.target)) {
      if (candidates.includes(literal)) continue;
      const [best] = suggest(literal, candidates, 1);
      if (best !== undefined) text += `; did you mean ${JSON.stringify(best)} for ${JSON.stringify(literal)}?`;
    }
    return text;
  }
}
