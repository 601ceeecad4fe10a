/**
 * An Arrow IPC file of predictions, written batch by batch with bounded memory: the kept columns, then each task's
 * output columns (`<task>.<output>`, serving/outputs.ts). Written under a temporary name and renamed when complete,
 * so a failed prediction leaves nothing that looks finished. `mtl predict` and `mtl eval --predictions` write it.
 */
import { rm, rename } from 'node:fs/promises';
import { Bool, Field, Float32, Float64, Schema, Utf8, type Data, type DataType } from 'apache-arrow';
import { allValid, boolColumn, numericColumn, recordBatch, setNull, utf8Column } from '../data/arrow-build.js';
import { ArrowFileSink } from '../data/arrow-sink.js';
import { outputKind, type TaskPredictionBatch } from './outputs.js';
import type { PackageTask } from './package-format.js';

/** A column copied from the input to the output: numbers, strings or booleans. */
export type KeptType = 'number' | 'string' | 'bool';

const keptArrowType: Readonly<Record<KeptType, () => DataType>> = { number: () => new Float64(), string: () => new Utf8(), bool: () => new Bool() };

/** A kept column's values for the rows written (null where the input has none). */
export function keptColumn(type: KeptType, values: readonly (number | string | boolean | null)[]): Data {
  const validity = allValid(values.length);
  values.forEach((v, i) => v === null && setNull(validity, i));
  switch (type) {
    case 'number':
      return numericColumn(new Float64(), Float64Array.from(values, (v) => (v === null ? 0 : Number(v))), validity);
    case 'string':
      return utf8Column(values.map((v) => (v === null ? null : String(v))));
    case 'bool':
      return boolColumn(Uint8Array.from(values, (v) => (v === true ? 1 : 0)), validity);
  }
}

export class PredictionFile {
  private constructor(
    private readonly sink: ArrowFileSink,
    private readonly partial: string,
    readonly path: string,
    private readonly schema: Schema,
    private readonly tasks: readonly PackageTask[],
  ) {}

  static async create(path: string, kept: readonly { name: string; type: KeptType }[], tasks: readonly PackageTask[]): Promise<PredictionFile> {
    const fields = [
      ...kept.map((k) => new Field(k.name, keptArrowType[k.type](), true)),
      ...tasks.flatMap((t) => t.outputs.map((o) => new Field(o.name, o.type === 'utf8' ? new Utf8() : new Float32(), false))),
    ];
    const partial = `${path}.partial-${process.pid}`;
    return new PredictionFile(await ArrowFileSink.create(partial), partial, path, new Schema(fields), tasks);
  }

  /** One batch: the kept columns' data (in `kept` order) and each task's predictions for the same rows. */
  async write(kept: readonly Data[], predictions: ReadonlyMap<string, TaskPredictionBatch>): Promise<void> {
    const outputs = this.tasks.flatMap((task) =>
      outputKind(task.head)
        .columns(predictions.get(task.name)!)
        .map((values) => (values instanceof Float32Array ? numericColumn(new Float32(), values) : utf8Column(values))),
    );
    await this.sink.write(recordBatch(this.schema, [...kept, ...outputs]));
  }

  async close(): Promise<void> {
    await this.sink.close();
    await rename(this.partial, this.path);
  }

  async abort(): Promise<void> {
    await this.sink.abort();
    await rm(this.partial, { force: true });
  }
}
