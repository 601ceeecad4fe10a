/**
 * Multi-gate mixture of experts (Ma et al. 2018). The compiler lowers a share to ordinary modules, all marked with this
 * scheme: experts that read the input, a softmax gate per task (a unit per expert), and per task a module whose
 * mixture layer (layers/mixture.ts) adds the experts' outputs weighted by the task's gate. Experts are memoized like
 * any module, so they run once per batch however many tasks mix them; a gate serves its task alone.
 *
 * The experts' and the gates' first layers read the same input, so they run as one wide product
 * x · [W_1 … W_E G_1 … G_T] + [b …], sliced, each slice then through its own activation: one matrix product and, in
 * the backward pass, one transpose of the input instead of one per expert and gate (which made the census MMoE a
 * third as fast as hard sharing). Each slice is its layer's own product, term for term: on the cpu backend outputs and
 * parameter gradients equal the unfused form's exactly (test/runtime/model-sharing.test.ts). A first layer that is not
 * dense, uses dropout (a mask of its own), reads another source or reads a sequence runs alone, as `mmoeUnfused` runs
 * them all.
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerPlan, ModulePlan } from '../../../job/job.js';
import { activate, denseLinear } from '../dense.js';
import type { LayerRef } from '../graph.js';
import type { GateProbe, SharingScheme } from './scheme.js';
import { shareName } from './share-name.js';

type DenseLayer = Extract<LayerPlan, { kind: 'dense' }>;

/** A share's modules whose first dense layers run as one product, in slice order; a gate's `task` is its task's. */
interface FusedFirstLayers {
  key: string;
  modules: readonly { id: string; layer: DenseLayer; task: string | null }[];
}

export const mmoe: SharingScheme = {
  runnable: true,
  attach(modules, model) {
    const fusedOf = new Map<string, FusedFirstLayers>();
    // Over vectors only: a first layer applied per token (a sequence input) runs alone.
    const readsVectors = (group: FusedFirstLayers) => model.graph.readsAny({ kind: 'layer', module: group.modules[0]!.id, layer: 0 }).every((s) => model.shapeOf(s).length === 1);
    for (const group of fusableFirstLayers(modules).filter(readsVectors)) for (const m of group.modules) fusedOf.set(m.id, group);
    const firstLayerParams = (module: string): { kernel: tf.Tensor2D; bias: tf.Tensor1D } => {
      const byName = new Map(model.moduleParams(module).map((p) => [p.name, p.variable]));
      return { kernel: byName.get(`${module}/0/kernel`) as tf.Tensor2D, bias: byName.get(`${module}/0/bias`) as tf.Tensor1D };
    };
    return {
      gates: () => gateProbes(modules),
      layerOutput(ref, task, pass) {
        const group = ref.layer === 0 ? fusedOf.get(ref.module) : undefined;
        if (!group) return undefined;
        // Every module of the group reads alike, so the first one's reads (and view) stand for all. The gates of tasks
        // the pass does not compute are left out: their parameters stay off the tape, as unfused.
        const first: LayerRef = { kind: 'layer', module: group.modules[0]!.id, layer: 0 };
        const slices = pass.remember(`mmoe-first-layers:${group.key}@${pass.viewOf(first, task)}`, () => {
          const members = group.modules.filter((m) => m.task === null || pass.tasks.includes(m.task));
          const [x] = model.graph.reads(first, task).map((s) => pass.output(s, task)) as tf.Tensor2D[];
          const params = members.map((m) => firstLayerParams(m.id));
          const wide = denseLinear(x!, tf.concat(params.map((p) => p.kernel), 1), tf.concat(params.map((p) => p.bias)), model.graph.readsData(first));
          // tfjs's gradient of a one-way split fails (it concatenates a tensor, not a list): one member is not split.
          const outputs = members.length === 1 ? [wide] : tf.split(wide, params.map((p) => p.bias.shape[0]), 1);
          return new Map(members.map((m, i) => [m.id, activate(outputs[i] as tf.Tensor2D, m.layer.activation)]));
        });
        return slices.get(ref.module);
      },
    };
  },
};

/** Each task's softmax gate: its distribution is its module's output. */
function gateProbes(modules: readonly ModulePlan[]): GateProbe[] {
  const present = new Set(modules.map((m) => m.id));
  const seen = new Set<string>();
  return modules.flatMap((module) => {
    if (module.sharing.kind !== 'mmoe') return [];
    const { experts, gates } = module.sharing;
    const share = shareName(modules.filter((m) => experts.includes(m.id)));
    return Object.entries(gates).flatMap(([task, gate]): GateProbe[] => {
      if (seen.has(gate) || !present.has(gate)) return [];
      seen.add(gate);
      return [{ share, gate, task, experts, observe: (output) => ({ weights: output({ kind: 'layer', module: gate, layer: 0 }, task) as tf.Tensor2D }) }];
    });
  });
}

/** The same scheme with every expert's and gate's first layer its own product: the reference the fused form is tested and measured against. */
export const mmoeUnfused: SharingScheme = { runnable: true, attach: (modules) => ({ gates: () => gateProbes(modules) }) };

/** Per share, its experts and gates (in that order) whose first layers are dense without dropout and read what the first expert reads. */
function fusableFirstLayers(modules: readonly ModulePlan[]): FusedFirstLayers[] {
  const byId = new Map(modules.map((m) => [m.id, m]));
  const groups = new Map<string, FusedFirstLayers>();
  for (const module of modules) {
    if (module.sharing.kind !== 'mmoe') continue;
    const members = [
      ...module.sharing.experts.map((id) => ({ id, task: null })),
      ...Object.entries(module.sharing.gates).map(([task, id]) => ({ id, task })),
    ];
    const key = members.map((m) => m.id).join('\u0000');
    if (groups.has(key)) continue;
    const present = members.flatMap((m) => (byId.has(m.id) ? [{ ...m, plan: byId.get(m.id)! }] : []));
    const source = JSON.stringify(present[0]?.plan.from);
    const fused = present.flatMap(({ id, task, plan }) => {
      const layer = plan.layers[0];
      return layer?.kind === 'dense' && layer.dropout === 0 && JSON.stringify(plan.from) === source ? [{ id, task, layer }] : [];
    });
    groups.set(key, { key: present[0]?.id ?? key, modules: fused });
  }
  return [...groups.values()].filter((g) => g.modules.length > 1);
}
