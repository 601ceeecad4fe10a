/**
 * Soft parameter sharing (Duong et al. 2015). Every task has its own column (a copy of the backbone);
 * nothing is mixed in the forward pass. Instead the columns are tied by a penalty added to the total loss:
 *   l2 · Σ over column pairs i < j, Σ over layers and their parameters (kernel and bias) ||P_i - P_j||².
 * Each unordered pair counts once. A task's loss reaches only its own column; the penalty is what pulls
 * the columns together. A share's penalty applies to a step that trains any of its columns.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModulePlan } from '../../../job/job.js';
import type { ModelJob } from '../model-job.js';
import { UserError } from '../../errors.js';
import type { Param } from '../types.js';
import type { SharingScheme } from './scheme.js';
import { shareName } from './share-name.js';

export interface TiedColumns {
  share: string;
  l2: number;
  /** Per column, its parameters in build order; the columns agree on their count and shapes. */
  columns: Param[][];
}

export const soft: SharingScheme = {
  runnable: true,
  attach(modules, model) {
    let groups: TiedColumns[] = [];
    return {
      afterModules() {
        groups = tiedColumns(model.job, modules, model.moduleParams);
      },
      penalties: (trained) => groups.filter((group) => group.columns.some((column) => column.some((p) => trained.has(p.variable)))).map(softPenalty),
    };
  },
};

/** The soft-sharing shares of `tied` (the job's modules with soft sharing), with each column's parameters from `paramsOf`. */
function tiedColumns(job: ModelJob, tied: readonly ModulePlan[], paramsOf: (module: string) => Param[]): TiedColumns[] {
  const modules = new Map(job.modules.map((m) => [m.id, m]));
  const groups = new Map<string, TiedColumns>();
  for (const module of tied) {
    if (module.sharing.kind !== 'soft') continue;
    const { sharing } = module;
    const key = sharing.columns.join('\u0000');
    if (groups.has(key)) continue;
    const live = sharing.columns.flatMap((id) => (modules.has(id) ? [modules.get(id)!] : []));
    const share = shareName(live);
    if (!(sharing.l2 >= 0)) throw new UserError(`soft share '${share}' has l2 ${sharing.l2}; it must be at least 0`);
    const columns = live.map((c) => paramsOf(c.id));
    const [first] = columns;
    columns.forEach((params, i) => {
      const same = params.length === first!.length && params.every((p, k) => tf.util.arraysEqual(p.variable.shape, first![k]!.variable.shape));
      if (!same) {
        const describe = (ps: Param[]) => ps.map((p) => `[${p.variable.shape.join(', ')}]`).join(' ');
        throw new UserError(
          `soft share '${share}' ties columns of different shapes: '${live[0]!.id}' has ${describe(first!)}, ` +
            `'${live[i]!.id}' has ${describe(params)}; tied columns need the same layers`,
        );
      }
    });
    groups.set(key, { share, l2: sharing.l2, columns });
  }
  return [...groups.values()];
}

export function softPenalty(group: TiedColumns): tf.Scalar {
  const terms: tf.Scalar[] = [];
  const { columns } = group;
  for (let i = 0; i < columns.length; i++) {
    for (let j = i + 1; j < columns.length; j++) {
      columns[i]!.forEach((p, k) => terms.push(tf.sum(tf.squaredDifference(p.variable, columns[j]![k]!.variable))));
    }
  }
  return terms.length === 0 ? tf.scalar(0) : tf.mul(tf.addN(terms), group.l2);
}
