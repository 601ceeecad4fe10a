/**
 * A small trained run for the serving tests: a 240-row Arrow file with a number of each type, a category, an id and
 * three targets, and a program with a binary, a multiclass and a regression task through one hard-shared MLP (or
 * MMoE), compiled by the real compiler and trained two epochs on the cpu backend by `runJob`.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bool, Dictionary, Float64, Int32, Table, Utf8, tableToIPC, vectorFromArray } from 'apache-arrow';
import { compileProgram } from '../../../compiler/compile.js';
import { runJob } from '../../../runtime/run.js';
import { uniformStream } from './fakeData.js';

export const SERVED_ROWS = 240;
const COLORS = ['red', 'green', 'blue'];
const LEVELS = ['low', 'mid', 'high'];

/** The data's rows as plain objects (what `predictRows` takes), in file order. */
export function servedRows(): Record<string, unknown>[] {
  const uniform = uniformStream(11);
  return Array.from({ length: SERVED_ROWS }, (_, id) => {
    const age = Math.round((18 + uniform() * 60) * 4) / 4;
    const hours = Math.floor(10 + uniform() * 50);
    const color = COLORS[Math.floor(uniform() * 3)]!;
    const score = (age - 45) / 15 + (hours - 35) / 12 + (color === 'red' ? 0.8 : 0);
    return { id, age, hours, color, flag: score + uniform() - 0.5 > 0, level: LEVELS[score < -0.6 ? 0 : score < 0.6 ? 1 : 2]!, price: 2 * score + uniform() };
  });
}

export function writeServedData(file: string): void {
  const rows = servedRows();
  const column = (name: string) => rows.map((r) => r[name]);
  const table = new Table({
    id: vectorFromArray(column('id') as number[], new Int32()),
    age: vectorFromArray(column('age') as number[], new Float64()),
    hours: vectorFromArray(column('hours') as number[], new Int32()),
    color: vectorFromArray(column('color') as string[], new Dictionary(new Utf8(), new Int32())),
    flag: vectorFromArray(column('flag') as boolean[], new Bool()),
    level: vectorFromArray(column('level') as string[], new Dictionary(new Utf8(), new Int32())),
    price: vectorFromArray(column('price') as number[], new Float64()),
  });
  writeFileSync(file, tableToIPC(table, 'file'));
}

/** The data's dataset and its features `person` (two standardized numbers and the colour one-hot), as program text. */
export function servedDataset(dataFile: string): string {
  return `dataset rows {
  files: ${JSON.stringify(dataFile)}
  columns: { id: int, age: float, hours: int, color: string, flag: bool, level: string, price: float }
  split: ratio(train: 0.5, valid: 0.25, test: 0.25, seed: 5)
}
features person { dataset: rows, transforms: [standardize(age, hours), onehot(color)] }
`;
}

export function servedProgram(dataFile: string, share = 'hard(backbone: mlp(units: [8]), tasks: [flagged, level, price])'): string {
  return `${servedDataset(dataFile)}task flagged { features: person, target: flag, head: binary }
task level { features: person, target: level, head: multiclass }
task price { features: person, target: price, head: regression }
share both = ${share}
train { batch_size: 32, epochs: 2, seed: 3 }
`;
}

/** Writes the data and the program into `dir`, trains it, and returns the run directory. */
export async function trainServedRun(dir: string, share?: string): Promise<string> {
  const data = join(dir, 'rows.arrow');
  writeServedData(data);
  const program = join(dir, 'served.mtl');
  writeFileSync(program, servedProgram(data, share));
  const compiled = compileProgram({ file: program });
  assert.ok(compiled.job, compiled.diagnostics.map((d) => d.message).join('\n'));
  const out = join(dir, share === undefined ? 'run' : 'run-other');
  await runJob(compiled.job, { out, backend: 'cpu', log: () => {}, progress: false });
  return out;
}
