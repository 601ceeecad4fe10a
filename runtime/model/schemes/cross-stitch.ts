/**
 * Cross-stitch units (Misra et al. 2016). Every task has its own column (a copy of the backbone); after
 * each chosen layer a learned matrix A (columns × columns) mixes the columns' activations at that layer,
 * new_i = Σ_j A[i][j] · h_j, and each column's next layer reads its mixed activation. A starts at `init`
 * on the diagonal and (1 - init) / (n - 1) off it, so each column begins mostly itself. An empty `after`
 * means after every layer, the last one included: each head then reads its column's mixed output.
 *
 * One matrix per stitched layer and share, named `${share}/stitch/${layer}`, row i for the i-th column
 * in the share's column order; created after every module's parameters, share by share, layer by layer. All columns
 * are computed together in a forward pass, even when only one task trains: its column reads the others. A matrix
 * trains with any of its columns and is frozen only when all of them are.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModulePlan } from '../../../job/job.js';
import type { ModelJob } from '../model-job.js';
import { UserError } from '../../errors.js';
import type { LayerRef } from '../graph.js';
import { refKey, type SourceRef } from '../refs.js';
import type { SharingScheme } from './scheme.js';
import { shareName } from './share-name.js';

export interface StitchGroup {
  /** The share's name, for parameter names. */
  share: string;
  /** Column module ids in the share's order; columns of tasks the compiler removed are left out. */
  columns: string[];
  /** Layer indices after which the columns are mixed. */
  layers: number[];
  init: number;
}

/** One cross-stitch matrix, as seen from one of the columns it mixes (row `position`). */
interface StitchUnit {
  name: string;
  columns: readonly string[];
  matrix: tf.Variable<tf.Rank.R2>;
  position: number;
}

export const crossStitch: SharingScheme = {
  runnable: true,
  attach(modules, model) {
    const groups = crossStitchGroups(model.job, modules, (module, layer) => model.shapeOf({ kind: 'layer', module, layer }));
    // Each column finds its unit by `${column}/${layer}`.
    const units = new Map<string, StitchUnit>();
    const unitAt = (ref: LayerRef) => units.get(`${ref.module}/${ref.layer}`);
    return {
      afterModules() {
        for (const group of groups) {
          const n = group.columns.length;
          for (const layer of group.layers) {
            const name = `${group.share}/stitch/${layer}`;
            const matrix = model.addParam(name, { modules: group.columns, task: null }, stitchInit(n, group.init), [n, n]) as tf.Variable<tf.Rank.R2>;
            group.columns.forEach((column, position) => units.set(`${column}/${layer}`, { name, columns: group.columns, matrix, position }));
          }
        }
      },
      // A stitched layer's output depends on the other columns' same layer (their weights, and through them their inputs).
      extraInputs(ref) {
        const unit = unitAt(ref);
        return unit ? unit.columns.filter((c) => c !== ref.module).map((c): SourceRef => ({ kind: 'layer', module: c, layer: ref.layer })) : [];
      },
      layerOutput(ref, task, pass) {
        const unit = unitAt(ref);
        if (!unit) return undefined;
        // All columns of the unit, mixed; computed once for whichever column asks first.
        const key = `stitch:${unit.name}@${pass.viewOf({ kind: 'layer', module: unit.columns[0]!, layer: ref.layer }, task)}`;
        const mixed = pass.remember(key, () => {
          const activations = unit.columns.map((c) => {
            const column: LayerRef = { kind: 'layer', module: c, layer: ref.layer };
            return pass.applyLayer(column, task, `${key}/${refKey(column)}`) as tf.Tensor2D;
          });
          return stitch(activations, unit.matrix);
        });
        return mixed[unit.position]!;
      },
    };
  },
  trains: (owner, step) => owner.modules.some((m) => step.readByAny(m)) && !owner.modules.every((m) => step.frozen.has(m)),
};

/** The initial mixing matrix, row-major: `init` on the diagonal, the rest of each row spread evenly. */
export function stitchInit(columns: number, init: number): Float32Array {
  const values = new Float32Array(columns * columns).fill(columns > 1 ? (1 - init) / (columns - 1) : 0);
  for (let i = 0; i < columns; i++) values[i * columns + i] = init;
  return values;
}

/** `activations`: one [batch, units] tensor per column; `matrix`: [columns, columns]. Returns the mixed activations. */
export function stitch(activations: readonly tf.Tensor2D[], matrix: tf.Tensor2D): tf.Tensor2D[] {
  const [batch, units] = activations[0]!.shape;
  // [columns, batch · units]: one matrix product mixes every unit of every row at once.
  const stacked = tf.reshape(tf.stack(activations as tf.Tensor2D[]), [activations.length, batch * units]);
  return tf.unstack(tf.reshape(tf.matMul(matrix, stacked), [activations.length, batch, units])) as tf.Tensor2D[];
}

/**
 * The cross-stitch shares of `stitched` (the job's modules with cross-stitch sharing). `widthAt` gives a column's
 * per-row output shape at a layer; the columns must agree on it wherever they are mixed.
 */
function crossStitchGroups(job: ModelJob, stitched: readonly ModulePlan[], widthAt: (module: string, layer: number) => readonly number[]): StitchGroup[] {
  const modules = new Map(job.modules.map((m) => [m.id, m]));
  const groups = new Map<string, StitchGroup>();
  for (const module of stitched) {
    if (module.sharing.kind !== 'cross_stitch') continue;
    const { sharing } = module;
    if (!sharing.columns.includes(module.id)) {
      throw new UserError(`module '${module.id}' uses cross_stitch sharing but is not one of its columns (${sharing.columns.join(', ')})`);
    }
    const key = sharing.columns.join('\u0000');
    if (groups.has(key)) continue;
    const columns = sharing.columns.flatMap((id) => (modules.has(id) ? [modules.get(id)!] : []));
    const share = shareName(columns);
    // A single column has nothing to mix with: it runs as a plain module.
    const depth = Math.min(...columns.map((c) => c.layers.length));
    const layers = columns.length < 2 ? [] : sharing.after.length === 0 ? Array.from({ length: depth }, (_, i) => i) : [...new Set(sharing.after)].sort((a, b) => a - b);
    if (!(sharing.init >= 0 && sharing.init <= 1)) throw new UserError(`cross-stitch share '${share}' starts at init ${sharing.init}; it must be between 0 and 1`);
    for (const layer of layers) {
      if (!Number.isInteger(layer) || layer < 0 || layer >= depth) {
        throw new UserError(`cross-stitch share '${share}' mixes after layer ${layer}, but its columns have layers 0 to ${depth - 1}`);
      }
      const shapes = columns.map((c) => widthAt(c.id, layer));
      shapes.forEach((shape, i) => {
        if (shape.length !== 1 || shape[0] !== shapes[0]![0]) {
          throw new UserError(
            `cross-stitch share '${share}' mixes after layer ${layer}, where column '${columns[0]!.id}' gives ` +
              `[${shapes[0]!.join(', ')}] and column '${columns[i]!.id}' gives [${shape.join(', ')}]; mixed columns need one vector shape`,
          );
        }
      });
    }
    groups.set(key, { share, columns: columns.map((c) => c.id), layers, init: sharing.init });
  }
  return [...groups.values()];
}
