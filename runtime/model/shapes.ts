/**
 * Per-row output shapes of every input and layer, as the job gives them (the compiler infers `InputPlan.shape` and
 * `ModulePlan.shapes`), with symbolic widths resolved. Each layer's kind checks the shapes it reads and says what it
 * makes of them; the job must agree. That only fails for a job the compiler did not write, or a compiler bug.
 */
import * as tf from '@tensorflow/tfjs';
import type { Width } from '../../job/job.js';
import type { ModelJob } from './model-job.js';
import { UserError } from '../errors.js';
import type { ModelGraph } from './graph.js';
import { layerRuntime } from './layers/index.js';
import { refKey, type SourceRef } from './refs.js';

export type ShapeOf = (ref: SourceRef) => readonly number[];

export function jobShapes(job: ModelJob, graph: ModelGraph, widths: (w: Width) => number): ShapeOf {
  const shapes = new Map<string, number[]>();
  for (const input of job.inputs) shapes.set(refKey({ kind: 'input', input: input.id }), input.shape.map(widths));
  for (const module of job.modules) {
    module.layers.forEach((layer, index) => {
      const where = `module '${module.id}' layer ${index} (${layer.kind})`;
      const stated = module.shapes[index];
      if (!stated) throw new UserError(`the job gives no shape for ${where}; it has ${module.shapes.length} shapes for ${module.layers.length} layers`);
      shapes.set(refKey({ kind: 'layer', module: module.id, layer: index }), stated.map(widths));
    });
  }
  const shapeOf: ShapeOf = (ref) => shapes.get(refKey(ref))!;

  for (const module of job.modules) {
    module.layers.forEach((layer, index) => {
      const ref = { kind: 'layer', module: module.id, layer: index } as const;
      const where = `module '${module.id}' layer ${index} (${layer.kind})`;
      const expected = layerRuntime(layer).outputShape(layer, inputShapes(graph, shapeOf, ref), where);
      const stated = shapeOf(ref);
      if (!tf.util.arraysEqual(expected, [...stated])) {
        throw new UserError(
          `the job is inconsistent: ${where} gives [${expected.join(', ')}] per row, but the job says [${stated.join(', ')}] ` +
            '(a job written by hand, or a compiler bug)',
        );
      }
    });
  }
  return shapeOf;
}

/** The shapes a layer reads: those of its own sources (a mixture's), or the one shape its module's input has. */
export function inputShapes(graph: ModelGraph, shapeOf: ShapeOf, ref: Extract<SourceRef, { kind: 'layer' }>): (readonly number[])[] {
  const sources = graph.readsAny(ref);
  const shapes = sources.map(shapeOf);
  const layer = graph.module(ref.module).layers[ref.layer]!;
  if (layerRuntime(layer).sources) return shapes;
  if (shapes.length === 0) throw new UserError(`module '${ref.module}' reads nothing: its first layer is a ${layer.kind} layer and it has no source`);
  return [sameShape(ref.module, shapes)];
}

/** The one shape a module's sources give; sources of different shapes cannot share its first layer. */
function sameShape(module: string, shapes: readonly (readonly number[])[]): readonly number[] {
  const [first] = shapes;
  const other = shapes.find((s) => !tf.util.arraysEqual([...s], [...first!]));
  if (other) {
    throw new UserError(
      `module '${module}' is shared by tasks of several datasets, but its inputs have different shapes ([${first!.join(', ')}] and [${other.join(', ')}]); ` +
        'shared layers need inputs of one width: give those tasks feature sets with the same numeric transforms of the same columns',
    );
  }
  return first!;
}
