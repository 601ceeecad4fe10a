/**
 * Expert telemetry: what each gate of a mixture of experts does, over a whole split (the validation split, after each
 * evaluated epoch): its mean distribution over the experts, the entropy of that mean, the mean entropy of its rows
 * (low while the mean's is high: the gate routes each row to few experts, but different rows to different ones), the
 * load per expert and, for top-k routing, the share of assignments capacity dropped. Gates come from the model's
 * schemes (GateProbe, schemes/scheme.ts), so any scheme with gates is reported alike.
 */
import * as tf from '@tensorflow/tfjs';
import type { JobData, SplitName } from '../data/api.js';
import type { MtlModel } from '../model/types.js';
import type { GateProbe } from '../model/gates.js';
import { inputTensors } from './labels.js';

/** One gate over one split: a `kind: 'experts'` row of metrics.jsonl, and `experts` of summary.json. */
export interface GateRecord {
  share: string;
  /** The gate's module. */
  module: string;
  task: string;
  experts: string[];
  /** The mean gate distribution over the split's rows: a share per expert, summing to 1. */
  utilisation: number[];
  /** Entropy of `utilisation`, in nats: ln(experts) when uniform, 0 when one expert takes everything. */
  entropy: number;
  /** The mean over rows of each row's own entropy, in nats. */
  rowEntropy: number;
  /** The share of the gate's assignments each expert got: `utilisation` for a dense gate; top-k counts the experts rows were sent to. */
  load: number[];
  /** Top-k routing: the share of assignments dropped for capacity; null for a dense gate. */
  dropped: number | null;
  rows: number;
}

/** Sums over a split's batches, per gate. */
class GateSums {
  rows = 0;
  readonly weights: Float64Array;
  rowEntropy = 0;
  readonly assigned: Float64Array;
  routed = false;
  dropped = 0;
  constructor(readonly probe: GateProbe) {
    this.weights = new Float64Array(probe.experts.length);
    this.assigned = new Float64Array(probe.experts.length);
  }

  record(): GateRecord {
    const { probe } = this;
    const utilisation = Array.from(this.weights, (w) => w / this.rows);
    const totalAssigned = this.assigned.reduce((s, a) => s + a, 0);
    return {
      share: probe.share,
      module: probe.gate,
      task: probe.task,
      experts: [...probe.experts],
      utilisation,
      entropy: entropy(utilisation),
      rowEntropy: this.rowEntropy / this.rows,
      load: this.routed ? Array.from(this.assigned, (a) => (totalAssigned > 0 ? a / totalAssigned : 0)) : utilisation,
      dropped: this.routed ? (totalAssigned > 0 ? this.dropped / totalAssigned : 0) : null,
      rows: this.rows,
    };
  }
}

/** −Σ p ln p, with 0 ln 0 = 0. */
export function entropy(distribution: readonly number[]): number {
  return -distribution.reduce((s, p) => (p > 0 ? s + p * Math.log(p) : s), 0);
}

/** Every gate of `model` over `split`, in the model's gate order; empty for a model without gates. */
export async function gateTelemetry(model: MtlModel, data: JobData, split: SplitName, batchSize = model.job.training.batchSize): Promise<GateRecord[]> {
  if (model.gates.length === 0) return [];
  const sums = model.gates.map((probe) => new GateSums(probe));
  for (const group of model.job.batchGroups) {
    const gates = sums.filter((s) => group.tasks.includes(s.probe.task));
    if (gates.length === 0) continue;
    // Each epoch's evaluation kept the split's rows; what a batch gives is read out (dataSync) before the next is asked for.
    for await (const batch of data.batches(group.dataset, split, { batchSize, shuffle: false, seed: 0, keep: true, reuseArrays: true })) {
      tf.tidy(() => {
        const inputs = inputTensors(batch, new Set([group.input]));
        for (const gate of gates) {
          const observed = gate.probe.observe((ref, task) => (ref.kind === 'input' ? inputs[ref.input]! : model.output(inputs, ref, task, false)));
          const weights = observed.weights;
          const rowEntropy = tf.neg(tf.sum(tf.mul(weights, tf.log(tf.maximum(weights, 1e-30)))));
          addInto(gate.weights, tf.sum(weights, 0).dataSync());
          gate.rowEntropy += rowEntropy.dataSync()[0]!;
          gate.rows += weights.shape[0];
          if (observed.routing) {
            gate.routed = true;
            addInto(gate.assigned, tf.sum(observed.routing.assigned, 0).dataSync());
            gate.dropped += observed.routing.dropped;
          }
        }
      });
    }
  }
  return sums.filter((s) => s.rows > 0).map((s) => s.record());
}

function addInto(target: Float64Array, values: ArrayLike<number>): void {
  for (let i = 0; i < target.length; i++) target[i]! += values[i]!;
}

/** One line per gate, for the end of `mtl run`: `experts.gate.income (income): entropy 1.93 of ln 8 = 2.08; …`. */
export function gateLines(records: readonly GateRecord[]): string[] {
  return records.map((r) => {
    const shares = r.utilisation.map((u) => u.toFixed(2)).join(' ');
    const dropped = r.dropped === null ? '' : `; dropped ${(100 * r.dropped).toFixed(1)}% for capacity`;
    const load = r.load === r.utilisation ? '' : `; load ${r.load.map((l) => l.toFixed(2)).join(' ')}`;
    return `${r.module} (${r.task}): mean weights ${shares}; entropy ${r.entropy.toFixed(3)} of ln ${r.experts.length} = ${Math.log(r.experts.length).toFixed(3)}, per row ${r.rowEntropy.toFixed(3)}${load}${dropped}`;
  });
}
