/**
 * A sharing scheme: how modules are shared beyond the graph itself. One file per scheme (schemes/<kind>.ts), looked up
 * by `ModulePlan.sharing.kind` in schemes/index.ts. Hard sharing is the graph alone; the others add parameters of their
 * own (cross-stitch matrices, adapters), change what a layer outputs for a task (cross-stitch mixes columns, adapters
 * wrap a layer's output per task), or add a loss term (soft sharing ties columns).
 *
 * The model builder attaches each scheme the job uses once, with the modules that use it, and calls the hooks the
 * attached scheme has; a scheme without a hook changes nothing there.
 */
import type { GateProbe } from '../gates.js';
import type * as tf from '@tensorflow/tfjs';
import type { ModulePlan } from '../../../job/job.js';
import type { ModelJob } from '../model-job.js';
import type { LayerRef, ModelGraph } from '../graph.js';
import type { SourceRef } from '../refs.js';
import type { ShapeOf } from '../shapes.js';
import type { Param, ParamOwner } from '../types.js';

export type SchemeOwner = Extract<ParamOwner, { kind: 'scheme' }>;

export interface SharingScheme {
  readonly runnable: true;
  /** Sets the scheme up for one model: `modules` are the job's modules that use it, in job order. Checks them. */
  attach(modules: readonly ModulePlan[], model: SchemeContext): AttachedScheme;
  /**
   * Whether a parameter the scheme owns trains in a step; required of a scheme that adds parameters. The scheme says
   * what freezing a module does to it: an adapter keeps training (that is what adapters are for), a cross-stitch
   * matrix stops only when all its columns are frozen.
   */
  trains?(owner: SchemeOwner, step: TrainedTasks): boolean;
}

/** What a scheme sees of the model being built. */
export interface SchemeContext {
  readonly job: ModelJob;
  readonly graph: ModelGraph;
  shapeOf: ShapeOf;
  /** Creates a parameter the scheme owns, in build order. */
  addParam(name: string, owner: Omit<SchemeOwner, 'kind' | 'scheme'>, values: Float32Array, shape: number[]): tf.Variable;
  /** Glorot-uniform initial values, seeded by the parameter's name. */
  glorot(name: string, fanIn: number, fanOut: number): Float32Array;
  /** The parameters of a module's layers in build order, once they exist (from `afterModules` on). */
  moduleParams(module: string): Param[];
}

/** One training step's view of what trains, for SharingScheme.trains. */
export interface TrainedTasks {
  /** Whether a task the step trains reads the module (its output depends on the module's parameters). */
  reads(task: string, module: string): boolean;
  /** Whether any task the step trains reads the module. */
  readByAny(module: string): boolean;
  readonly frozen: ReadonlySet<string>;
}

/** One layer computation of a forward pass, as a scheme may take part in it. */
export interface ForwardPass {
  /** The tasks the pass computes outputs for (a scheme computing several modules at once leaves the others' out). */
  readonly tasks: readonly string[];
  /** The output of `ref` as `task` sees it; memoized for the pass. */
  output(ref: SourceRef, task: string): tf.Tensor;
  /** A layer's own output for `task`, from what it reads; `key` names this application (its dropout mask). */
  applyLayer(ref: LayerRef, task: string, key: string): tf.Tensor;
  /** Whose view of `ref` the pass computes for `task`: `task` when its outputs differ per task below `ref`, else ''. */
  viewOf(ref: SourceRef, task: string): string;
  /** What `task` reads of `ref` from outside its module (a head, another module): its scheme's `taskView`, else `output`. */
  readAcross(ref: SourceRef, task: string): tf.Tensor;
  /** Memoizes a value for the rest of the pass. */
  remember<T>(key: string, compute: () => T): T;
  /** Whether the pass trains (dropout applies). */
  readonly training: boolean;
  /** The dropout seed of the layer application named `key`, drawn once for the step (LoRA's per-task layers). */
  dropoutSeed(key: string): number;
}

export type { GateProbe, GateObservation } from '../gates.js';

export interface AttachedScheme {
  /** Its gates, for the expert telemetry; none when absent. */
  gates?(): readonly GateProbe[];
  /** Adds its parameters for one of its modules, right after that module's layers' (adapters). */
  addModuleParams?(module: ModulePlan): void;
  /** Runs once every module's parameters exist: adds its parameters that belong to no one module (cross-stitch matrices), reads the modules' (soft sharing). */
  afterModules?(): void;
  /** What a layer's output depends on besides what it reads (cross-stitch: the other columns at a stitched layer). */
  extraInputs?(ref: LayerRef): readonly SourceRef[];
  /** The tasks that see a module's outputs differently from the others (adapters: each task of the share). */
  ownViews?(module: string): ReadonlySet<string> | undefined;
  /** The layer's output for `task` when the scheme computes it rather than the layer alone (cross-stitch); undefined otherwise. */
  layerOutput?(ref: LayerRef, task: string, pass: ForwardPass): tf.Tensor | undefined;
  /**
   * The layer's own output for `task` when the task has a layer of its own there (LoRA: the shared kernel plus the
   * task's low-rank update), computed once per task instead of once for all; undefined where the layer is shared.
   */
  taskLayerOutput?(ref: LayerRef, task: string, pass: ForwardPass): tf.Tensor | undefined;
  /** What `task` sees of a layer's output (adapters add their bottleneck). */
  taskOutput?(ref: LayerRef, task: string, output: tf.Tensor): tf.Tensor;
  /**
   * What `task` reads of a layer of the module from outside it (its tower, its head) when that differs from what the
   * module's next layer reads (mtan: the task's attended features); undefined where it does not.
   */
  taskView?(ref: LayerRef, task: string, pass: ForwardPass): tf.Tensor | undefined;
  /** Its loss terms for a step that trains `trained` (soft sharing's tie); none when it ties nothing trained. */
  penalties?(trained: ReadonlySet<tf.Variable>): tf.Scalar[];
}
