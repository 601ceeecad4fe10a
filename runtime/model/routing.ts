/**
 * What a model's moe layers routed (layers/moe.ts), counted over training passes until taken: the expert telemetry
 * reads it per epoch (`MtlModel.routing.take()`). It imports nothing, so the model's types and its layers can both name it.
 */

/** What one application of a moe layer routed: read by the expert telemetry, summed over a log's training passes. */
export interface RoutingCounts {
  /** Training forward passes through the layer (a per-task step passes once per task). */
  passes: number;
  /** Rows routed, and their assignments (rows · top_k). */
  rows: number;
  assignments: number;
  /** Assignments dropped because their expert was full. */
  dropped: number;
  /** Assignments the router sent to each expert (before capacity). */
  routed: number[];
  /** The sum over passes of the balance loss (its weight included). */
  balanceLoss: number;
}

/** The routing of every moe layer of a model, by its parameters' prefix (`trunk/1`): counts since the last `take`. */
export interface RoutingLog {
  record(layer: string, counts: Omit<RoutingCounts, 'passes'>): void;
  /** The counts since the last take, by layer, and starts again from zero (an epoch's, when taken at its end). */
  take(): Map<string, RoutingCounts>;
}

export function routingLog(): RoutingLog {
  let counts = new Map<string, RoutingCounts>();
  return {
    record(layer, pass) {
      const sum = counts.get(layer) ?? { passes: 0, rows: 0, assignments: 0, dropped: 0, routed: pass.routed.map(() => 0), balanceLoss: 0 };
      counts.set(layer, {
        passes: sum.passes + 1, rows: sum.rows + pass.rows, assignments: sum.assignments + pass.assignments, dropped: sum.dropped + pass.dropped,
        routed: sum.routed.map((r, e) => r + pass.routed[e]!), balanceLoss: sum.balanceLoss + pass.balanceLoss,
      });
    },
    take() {
      const taken = counts;
      counts = new Map();
      return taken;
    },
  };
}
