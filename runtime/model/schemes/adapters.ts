/**
 * Adapters (Houlsby et al. 2019). A shared module keeps one set of weights for all its tasks, and each task
 * in the share gets a residual bottleneck after every dense layer: h + W_up · relu(W_down · h), with W_down
 * [units, size] and W_up [size, units] (no biases). W_up starts at zero, so training starts from the shared
 * model exactly; W_down starts Glorot-uniform so W_up's first gradients are not zero.
 * The adapter reads the layer's output (after its dropout) and the next layer reads the adapter's, so the
 * module's output differs per task: the forward pass memoizes it per (module, task).
 *
 * Parameters are named `${module}/adapter/${task}/${layer}/down` and `…/up`, created right after the module's
 * layers', task by task. A task's adapters train whenever that task trains and reads the module, even when the
 * module is frozen: freezing the backbone and training the adapters is what adapters are for.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModulePlan } from '../../../job/job.js';
import type { ModelJob } from '../model-job.js';
import { UserError } from '../../errors.js';
import type { SharingScheme } from './scheme.js';

export interface AdapterSite {
  module: string;
  layer: number;
  task: string;
  /** The layer's width, which the adapter reads and writes. */
  units: number;
  size: number;
}

export interface Adapter {
  down: tf.Tensor2D;
  up: tf.Tensor2D;
}

export const adapters: SharingScheme = {
  runnable: true,
  attach(modules, model) {
    const sites = adapterSites(model.job, modules);
    const built = new Map<string, Adapter>();
    const views = new Map<string, Set<string>>();
    for (const site of sites) views.set(site.module, (views.get(site.module) ?? new Set()).add(site.task));
    return {
      addModuleParams(module) {
        for (const site of sites.filter((s) => s.module === module.id)) {
          const name = adapterName(site);
          const owner = { modules: [module.id], task: site.task };
          built.set(name, {
            down: model.addParam(`${name}/down`, owner, model.glorot(`${name}/down`, site.units, site.size), [site.units, site.size]) as tf.Variable<tf.Rank.R2>,
            up: model.addParam(`${name}/up`, owner, new Float32Array(site.size * site.units), [site.size, site.units]) as tf.Variable<tf.Rank.R2>,
          });
        }
      },
      ownViews: (module) => views.get(module),
      taskOutput(ref, task, output) {
        const adapter = built.get(adapterName({ module: ref.module, layer: ref.layer, task }));
        return adapter ? adapt(output as tf.Tensor2D, adapter) : output;
      },
    };
  },
  trains: (owner, step) => owner.task !== null && step.reads(owner.task, owner.modules[0]!),
};

/** Where adapters go: every dense layer of a module with adapters sharing, once per task of the share the job still has. */
function adapterSites(job: ModelJob, adapted: readonly ModulePlan[]): AdapterSite[] {
  const live = new Set(job.tasks.map((t) => t.name));
  const sites: AdapterSite[] = [];
  for (const module of adapted) {
    if (module.sharing.kind !== 'adapters') continue;
    const { size, tasks } = module.sharing;
    if (!Number.isInteger(size) || size < 1) throw new UserError(`module '${module.id}' has adapters of size ${size}; the size must be a positive integer`);
    for (const task of tasks.filter((t) => live.has(t))) {
      module.layers.forEach((layer, index) => {
        if (layer.kind === 'dense') sites.push({ module: module.id, layer: index, task, units: layer.units, size });
      });
    }
  }
  return sites;
}

function adapterName(site: { module: string; layer: number; task: string }): string {
  return `${site.module}/adapter/${site.task}/${site.layer}`;
}

/** h + relu(h · down) · up, for h [batch, units]. */
export function adapt(h: tf.Tensor2D, adapter: Adapter): tf.Tensor2D {
  return tf.add(h, tf.matMul(tf.relu(tf.matMul(h, adapter.down)), adapter.up));
}
