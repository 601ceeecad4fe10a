/**
 * The gates of a share lowered to mixture layers (cgc, ple), for the expert telemetry: each module whose layer is a
 * mixture names its experts and its gate, a softmax layer whose output is the distribution. A task's mixture is seen
 * as that task sees it; a PLE level's shared gate serves every task alike, so it is read as its first task sees it.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ModulePlan } from '../../../job/job.js';
import type { GateProbe } from '../gates.js';

export function mixtureGateProbes(modules: readonly ModulePlan[]): GateProbe[] {
  const present = new Set(modules.map((m) => m.id));
  return modules.flatMap((module): GateProbe[] => {
    const layer = module.layers[0];
    if (layer?.kind !== 'mixture' || !present.has(layer.gate) || module.share === null) return [];
    const task = [...module.tasks].sort()[0];
    if (task === undefined) return [];
    const gate = layer.gate;
    return [{ share: module.share, gate, task, experts: layer.experts, observe: (output) => ({ weights: output({ kind: 'layer', module: gate, layer: 0 }, task) as tf.Tensor2D }) }];
  });
}
