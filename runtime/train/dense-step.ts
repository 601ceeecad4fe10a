/**
 * The fused dense step (optimization `fused-dense-step`): a whole training step of a network of dense layers, worked
 * out once per set of tasks and run as a dozen calls of small WebAssembly SIMD routines (kernels/weighted-rows.ts) over
 * one block of memory, instead of the ~280 tensor ops (each with the engine's bookkeeping) tfjs runs for it.
 *
 * What it runs, and why it is the same step: every module the step reaches shares by the graph alone (hard), reads one
 * source and is dense layers without dropout (ReLU or linear; MMoE's experts, softmax gates and mixtures too); every
 * task has a binary head trained with bce, a regression head with mse or a multiclass head with ce, weighted by a fixed
 * weight; the aggregation adds the task losses; the optimizer is Adam without per-task learning rates. Then the
 * step is: forward through the layers, each task's masked mean loss, the weighted total, one backward pass,
 * (clipping), Adam: the tfjs step's operations, in float32. Products sum the same terms in another order, so outputs and
 * gradients agree with the tfjs step's to float32 rounding (test/runtime/dense-step.test.ts); Adam is the unfused
 * optimizer's, operation for operation. Anything else keeps the tfjs step (`denseStepPlan` says why).
 *
 * A layer's product skips the zeros of its input: each row's terms are its non-zero values (after a ReLU most are
 * zero) or, over a lookup input, its numbers and kernel row ids (the onehot-lookup pass's embedding bag). The kernel's
 * gradient is the transpose over the same terms; the input's gradient dz · Wᵀ runs over the non-zeros of dz.
 *
 * The parameters and Adam's moments live in the routines' memory while steps run; the model's variables and the
 * optimizer's state are read when the first step runs and written back by `flush`, which the training loop calls before
 * anything else reads them (evaluation, checkpoints, the end of training).
 */
import * as tf from '@tensorflow/tfjs';
import type { Job, ModulePlan, SourceRef } from '../../job/job.js';
import type { Batch, TensorData } from '../data/api.js';
import { termsOf } from '../kernels/embedding-bag.js';
import { instantiateSimd, type SimdRoutines } from '../kernels/weighted-rows.js';
import type { MtlModel, Param } from '../model/types.js';
import { adamScalars, type Optimizer } from './optimizer.js';
import type { OptimizerPlan } from '../../job/job.js';
import { field, type StateValue } from '../checkpoint/state.js';

type AdamPlan = Extract<OptimizerPlan, { kind: 'adam' }>;

/** Where a dense layer reads from: a batch input, or an earlier layer's output. */
type LayerSource = { kind: 'input'; id: string } | { kind: 'layer'; index: number };

/** The activations the routines apply after a dense layer's product (softmax: a mixture's gate). */
type StepActivation = 'relu' | 'linear' | 'softmax';
const STEP_ACTIVATIONS: readonly string[] = ['relu', 'linear', 'softmax'] satisfies StepActivation[];

interface DenseLayer {
  readonly kind: 'dense';
  /** `module/layer` or `head/task`, for messages. */
  readonly name: string;
  readonly kernel: Param;
  readonly bias: Param;
  /** Rows of the kernel (its input's width) and units (its output's). */
  readonly inputs: number;
  readonly units: number;
  readonly activation: StepActivation;
  readonly source: LayerSource;
  /** How many later layers read its output (their gradients add up in its dy). */
  readers: number;
}

/** A task's mixture of experts (MMoE): Σ_k gate[:, k] · expert_k, over earlier layers' outputs; no parameters. */
interface MixtureLayer {
  readonly kind: 'mixture';
  readonly name: string;
  readonly units: number;
  readonly experts: readonly number[];
  readonly gate: number;
  readers: number;
}

type StepLayer = DenseLayer | MixtureLayer;

interface TaskOutput {
  readonly task: string;
  /** The layer whose output is the task's logits (its head). */
  readonly layer: number;
  readonly weight: number;
  /** bce over one logit (binary), mse over the head's units (regression: a row's loss is their mean), ce over its classes (multiclass). */
  readonly loss: 'bce' | 'mse' | 'ce';
}

/** The heads the routines train, with their loss: `kind:loss` → loss. */
const HEAD_LOSSES: Readonly<Record<string, TaskOutput['loss']>> = { 'binary:bce': 'bce', 'regression:mse': 'mse', 'multiclass:ce': 'ce' };

/** A step's network: its layers in the order they run, and the tasks' heads among them. */
export interface DenseStepPlan {
  readonly layers: readonly StepLayer[];
  readonly tasks: readonly TaskOutput[];
}

/**
 * The network of `tasks`' step, or why the fused step cannot run it. `job` is the model's job: the compiler's plan says
 * what every module is, the model's parameters are found by their names.
 */
export function denseStepPlan(model: MtlModel, tasks: readonly string[], weights: Readonly<Record<string, number>>): DenseStepPlan | { why: string } {
  const training = (model.job as Job).training;
  if (training.optimizer.kind !== 'adam') return { why: `the optimizer is ${training.optimizer.kind}` };
  if (Object.keys(training.taskLr).length > 0) return { why: 'tasks have learning rates of their own' };
  if (training.optimizer.normalizeTaskGradients) return { why: 'task gradients are normalized' };
  if (training.aggregation.kind !== 'sum') return { why: `the aggregation is ${training.aggregation.kind}` };
  if (training.weighting.kind !== 'static' && training.weighting.kind !== 'equal') return { why: `the weighting is ${training.weighting.kind}` };
  if (training.conflictsEvery > 0) return { why: 'gradient conflicts are sampled' };
  return denseNetwork(model, tasks, weights);
}

/** The network of `tasks` alone (what a forward pass needs), or why the fused routines cannot run it. */
export function denseNetwork(model: MtlModel, tasks: readonly string[], weights: Readonly<Record<string, number>> = {}): DenseStepPlan | { why: string } {
  const job = model.job as Job;
  const params = new Map(model.params.map((p) => [p.name, p]));
  const modules = new Map(job.modules.map((m) => [m.id, m]));
  const layers: StepLayer[] = [];
  const placed = new Map<string, number>();

  const paramPair = (prefix: string, inputsWidth: number | null): { kernel: Param; bias: Param } | { why: string } => {
    const kernel = params.get(`${prefix}/kernel`);
    const bias = params.get(`${prefix}/bias`);
    if (!kernel || !bias || kernel.variable.rank !== 2 || bias.variable.rank !== 1) return { why: `'${prefix}' is not a dense layer's kernel and bias` };
    if (inputsWidth !== null && kernel.variable.shape[0] !== inputsWidth) return { why: `'${prefix}' reads ${kernel.variable.shape[0]} values, its source gives ${inputsWidth}` };
    return { kernel, bias };
  };
  const widthOf = (source: LayerSource): number | null => (source.kind === 'layer' ? layers[source.index]!.units : null);

  /** Places the layers up to `ref` (and what they read) and returns the index of the one `ref` names. */
  const place = (ref: SourceRef): { source: LayerSource } | { why: string } => {
    if ('input' in ref) {
      const input = job.inputs.find((i) => i.id === ref.input);
      if (!input || input.kind !== 'vector') return { why: `input '${ref.input}' is not a vector` };
      return { source: { kind: 'input', id: ref.input } };
    }
    const key = `${ref.module}/${ref.layer}`;
    const at = placed.get(key);
    if (at !== undefined) return { source: { kind: 'layer', index: at } };
    const module = modules.get(ref.module);
    if (!module) return { why: `module '${ref.module}' is not in the job` };
    const unfit = unfitModule(module);
    if (unfit) return { why: unfit };
    const plan = module.layers[ref.layer];
    if (plan?.kind === 'mixture') {
      const lastOf = (id: string) => place({ module: id, layer: (modules.get(id)?.layers.length ?? 1) - 1 });
      const experts: number[] = [];
      for (const id of plan.experts) {
        const expert = lastOf(id);
        if ('why' in expert) return expert;
        experts.push((expert.source as { index: number }).index);
      }
      const gate = lastOf(plan.gate);
      if ('why' in gate) return gate;
      const gateIndex = (gate.source as { index: number }).index;
      const units = layers[experts[0]!]!.units;
      if (experts.some((e) => layers[e]!.units !== units) || layers[gateIndex]!.units !== experts.length) return { why: `the mixture '${key}' does not fit its experts and gate` };
      for (const e of [...experts, gateIndex]) layers[e]!.readers++;
      layers.push({ kind: 'mixture', name: key, units, experts, gate: gateIndex, readers: 0 });
      placed.set(key, layers.length - 1);
      return { source: { kind: 'layer', index: layers.length - 1 } };
    }
    const below = ref.layer === 0 ? place(module.from[0]!) : place({ module: ref.module, layer: ref.layer - 1 });
    if ('why' in below) return below;
    if (!plan || plan.kind !== 'dense') return { why: `layer ${ref.layer} of module '${ref.module}' is not dense` };
    const pair = paramPair(key, widthOf(below.source));
    if ('why' in pair) return pair;
    layers.push({ kind: 'dense', name: key, ...pair, inputs: pair.kernel.variable.shape[0]!, units: pair.kernel.variable.shape[1]!, activation: plan.activation as StepActivation, source: below.source, readers: 0 });
    if (below.source.kind === 'layer') layers[below.source.index]!.readers++;
    placed.set(key, layers.length - 1);
    return { source: { kind: 'layer', index: layers.length - 1 } };
  };

  const outputs: TaskOutput[] = [];
  for (const name of tasks) {
    const task = job.tasks.find((t) => t.name === name);
    if (!task) return { why: `task '${name}' is not in the job` };
    const loss = HEAD_LOSSES[`${task.head.kind}:${task.loss}`] ?? null;
    if (loss === null) return { why: `task '${name}' has a ${task.head.kind} head with ${task.loss} loss` };
    if ((task.reads?.length ?? 0) > 0 || (task.product?.length ?? 0) > 0) return { why: `task '${name}' reads other tasks' predictions` };
    const below = place(task.from);
    if ('why' in below) return below;
    const pair = paramPair(`head/${name}`, widthOf(below.source));
    if ('why' in pair) return pair;
    const units = pair.kernel.variable.shape[1]!;
    if (loss === 'bce' && units !== 1) return { why: `the binary head of task '${name}' has ${units} units` };
    layers.push({ kind: 'dense', name: `head/${name}`, ...pair, inputs: pair.kernel.variable.shape[0]!, units, activation: 'linear', source: below.source, readers: 0 });
    if (below.source.kind === 'layer') layers[below.source.index]!.readers++;
    outputs.push({ task: name, layer: layers.length - 1, weight: weights[name] ?? 1, loss });
  }
  return { layers, tasks: outputs };
}

/** Why a module cannot run in the fused step, or null. */
function unfitModule(module: ModulePlan): string | null {
  // MMoE's experts and gates are ordinary dense modules, its mixtures a layer of their own; the graph alone shares them.
  if (module.sharing.kind !== 'hard' && module.sharing.kind !== 'mmoe') return `module '${module.id}' shares by ${module.sharing.kind}`;
  if (module.layers.length === 1 && module.layers[0]!.kind === 'mixture') return null;
  if (module.from.length !== 1) return `module '${module.id}' reads ${module.from.length} sources`;
  for (const layer of module.layers) {
    if (layer.kind !== 'dense') return `module '${module.id}' has a ${layer.kind} layer`;
    if (layer.dropout > 0) return `module '${module.id}' has dropout`;
    if (!STEP_ACTIVATIONS.includes(layer.activation)) return `module '${module.id}' has a ${layer.activation} activation`;
  }
  return null;
}

// ---------------------------------------------------------------- memory

/** One block of the routines' memory, handed out in 16-byte-aligned pieces; views remade when the memory grows. */
class Arena {
  private used = 0;
  private buffer: ArrayBuffer | null = null;
  private floats = new Float32Array(0);
  private ints = new Int32Array(0);

  constructor(private readonly simd: SimdRoutines) {}

  /** Byte address of `count` floats (or ints). */
  take(count: number): number {
    const at = this.used;
    this.used += Math.ceil((count * 4) / 16) * 16;
    const have = this.simd.memory.buffer.byteLength;
    if (this.used > have) this.simd.memory.grow(Math.ceil((this.used - have) / 65536));
    return at;
  }

  get f32(): Float32Array {
    if (this.buffer !== this.simd.memory.buffer) this.remake();
    return this.floats;
  }

  get i32(): Int32Array {
    if (this.buffer !== this.simd.memory.buffer) this.remake();
    return this.ints;
  }

  private remake(): void {
    this.buffer = this.simd.memory.buffer;
    this.floats = new Float32Array(this.buffer);
    this.ints = new Int32Array(this.buffer);
  }
}

/** A parameter's place in memory: its values, gradient and moments (each `padded` floats, a multiple of 4), and Adam's count. */
interface ParamSlot {
  readonly param: Param;
  readonly size: number;
  readonly values: number;
  readonly gradient: number;
  readonly first: number;
  readonly second: number;
  updates: number;
}

interface LayerMemory {
  /** A dense layer's parameters; null for a mixture. */
  readonly kernel: ParamSlot | null;
  readonly bias: ParamSlot | null;
  /** The kernel transposed [units, inputs], for the input's gradient. */
  readonly transposed: number;
  /** Output and its gradient [batch, units]. */
  readonly y: number;
  readonly dy: number;
  /** The input's gradient when the layer's source has several readers (added into the source's dy after). */
  readonly dx: number;
  /** Over a lookup input, its terms, row by row (weighted-rows.ts): offsets, weights, and each row's first. */
  readonly offset: number;
  readonly weight: number;
  readonly start: number;
  /** Over a dense input, the batch's values [batch, inputs]. */
  readonly input: number;
  /** Whether this layer builds the lookup terms (the first layer over its input with its units); the others reuse them. */
  readonly termsBuilder: boolean;
}

export interface DenseStepResult {
  /** The weighted total loss. */
  value: number;
  /** Each task's masked mean loss, in the plan's task order. */
  taskLosses: number[];
  /** Milliseconds the update took (clipping and Adam), for benchmarks; 0 for gradients alone. */
  optimizerMs: number;
}

/** Scratch sizes depend on the batch's rows; a batch larger than the layout's makes a new one. */
export class DenseStep {
  private readonly simd: SimdRoutines;
  private arena: Arena;
  private memory: LayerMemory[] = [];
  private slots: ParamSlot[] = [];
  private rowsCapacity = 0;
  /** Whether the parameters and moments in memory are the current ones (the variables and optimizer are stale). */
  private live = false;

  private constructor(
    readonly plan: DenseStepPlan,
    private readonly adam: AdamPlan | null,
    private readonly optimizer: Optimizer | null,
    simd: SimdRoutines,
  ) {
    this.simd = simd;
    this.arena = new Arena(simd);
  }

  /** Null where WebAssembly SIMD is not available. `optimizer` holds the moments between runs of fused steps. */
  static create(plan: DenseStepPlan, adam: AdamPlan, optimizer: Optimizer): DenseStep | null {
    const simd = instantiateSimd();
    return simd ? new DenseStep(plan, adam, optimizer, simd) : null;
  }

  /**
   * Forward passes only (evaluation): `logits` reads the model's variables at its first call, so make one per pass over
   * a split. Null where the network is not one the routines run, or without WebAssembly SIMD.
   */
  static forInference(model: MtlModel, tasks: readonly string[]): DenseStep | null {
    const network = denseNetwork(model, tasks);
    const simd = 'why' in network ? null : instantiateSimd();
    return simd ? new DenseStep(network as DenseStepPlan, null, null, simd) : null;
  }

  /** Each task's logits [rows, units] for `batch` (copies), computed as the step's forward pass computes them. */
  logits(batch: Batch): Map<string, Float32Array> {
    this.layout(batch, batch.size);
    if (!this.live) this.load();
    this.forward(batch, batch.size);
    const f32 = this.arena.f32;
    return new Map(this.plan.tasks.map(({ task, layer }) => {
      const at = this.memory[layer]!.y / 4;
      return [task, f32.slice(at, at + batch.size * this.plan.layers[layer]!.units)];
    }));
  }

  /**
   * Lays out memory for batches of `rows` rows. A larger batch than the layout's makes a new one: what memory holds is
   * handed back first (flush), and read again by the next step.
   */
  private layout(batch: Batch, rows: number): void {
    if (rows <= this.rowsCapacity) return;
    this.flush();
    this.arena = new Arena(this.simd);
    // Made for inference, it keeps the values alone: no gradient, no moments.
    const training = this.adam !== null;
    const slot = (param: Param): ParamSlot => {
      const size = param.variable.size;
      const padded = Math.ceil(size / 4) * 4;
      const more = () => (training ? this.arena.take(padded) : 0);
      return { param, size, values: this.arena.take(padded), gradient: more(), first: more(), second: more(), updates: 0 };
    };
    // Layers over one lookup input with as many units share its terms (an MMoE's experts, its gates): built once a step.
    const termsOf = new Map<string, LayerMemory>();
    this.memory = this.plan.layers.map((layer) => {
      const common = { y: this.arena.take(rows * layer.units), dy: this.arena.take(rows * layer.units) };
      if (layer.kind === 'mixture') return { ...common, kernel: null, bias: null, transposed: 0, dx: 0, offset: 0, weight: 0, start: 0, input: 0, termsBuilder: false };
      // A lookup input's columns are its numbers and ids, fewer than the kernel's rows.
      const lookup = layer.source.kind === 'input' ? batch.inputs[layer.source.id]!.lookup !== undefined : false;
      const key = layer.source.kind === 'input' ? `${layer.source.id}\u0000${layer.units}` : '';
      const shared = lookup ? termsOf.get(key) : undefined;
      const termCount = lookup && !shared ? rows * batch.inputs[(layer.source as { id: string }).id]!.shape[1]! : 0;
      const dense = layer.source.kind === 'input' && !lookup;
      const memory: LayerMemory = {
        ...common,
        kernel: slot(layer.kernel),
        bias: slot(layer.bias),
        transposed: this.arena.take(layer.inputs * layer.units),
        dx: this.arena.take(rows * layer.inputs),
        offset: shared?.offset ?? this.arena.take(termCount),
        weight: shared?.weight ?? this.arena.take(termCount),
        start: shared?.start ?? this.arena.take(lookup ? rows + 1 : 0),
        input: this.arena.take(dense ? rows * layer.inputs : 0),
        termsBuilder: lookup && !shared,
      };
      if (lookup && !shared) termsOf.set(key, memory);
      return memory;
    });
    this.slots = this.memory.flatMap((m) => (m.kernel && m.bias ? [m.kernel, m.bias] : []));
    const widest = Math.max(...this.plan.layers.map((l) => (l.kind === 'dense' ? l.inputs : 0)));
    this.zeroBlock = this.arena.take(widest);
    this.arena.f32.fill(0, this.zeroBlock / 4, this.zeroBlock / 4 + widest);
    this.rowsCapacity = rows;
  }

  /** The address of as many zeros as the widest layer's input: the init of dz · Wᵀ. */
  private zeroBlock = 0;

  /** Reads the variables and the optimizer's moments into memory. */
  private load(): void {
    const f32 = this.arena.f32;
    const bySlot = new Map<string, StateValue>();
    const saved = this.optimizer?.checkpoint(this.slots.map((s) => s.param)).save() as StateValue[] | undefined;
    for (const entry of saved ?? []) bySlot.set(field<string>(entry, 'name'), entry);
    for (const s of this.slots) {
      f32.set(s.param.variable.dataSync() as Float32Array, s.values / 4);
      const saved = bySlot.get(s.param.name);
      if (this.adam === null) continue;
      f32.fill(0, s.first / 4, s.first / 4 + Math.ceil(s.size / 4) * 4);
      f32.fill(0, s.second / 4, s.second / 4 + Math.ceil(s.size / 4) * 4);
      s.updates = 0;
      if (saved) {
        s.updates = field<number>(saved, 'updates');
        f32.set(field<Float32Array>(saved, 'first'), s.first / 4);
        const second = field<Float32Array | null>(saved, 'second');
        if (second) f32.set(second, s.second / 4);
      }
    }
    this.live = true;
  }

  /**
   * Writes the parameters to the model's variables and the moments to the optimizer; the next step reads them again.
   * Made for inference, it has changed nothing, and only reads them again.
   */
  flush(): void {
    if (!this.live) return;
    if (this.adam === null) {
      this.live = false;
      return;
    }
    const f32 = this.arena.f32;
    const copy = (at: number, size: number) => f32.slice(at / 4, at / 4 + size);
    tf.tidy(() => {
      for (const s of this.slots) s.param.variable.assign(tf.tensor(copy(s.values, s.size), s.param.variable.shape));
    });
    const trained = this.slots.filter((s) => s.updates > 0);
    this.optimizer?.checkpoint(trained.map((s) => s.param)).restore(trained.map((s) => ({ name: s.param.name, updates: s.updates, first: copy(s.first, s.size), second: copy(s.second, s.size) })));
    this.live = false;
  }

  /**
   * One training step on `batch`: returns the losses; updates the parameters in `trained` (the others, frozen, still
   * pass gradients through). With `gradientsOnly` (tests) it stops after the backward pass.
   */
  run(batch: Batch, trained: ReadonlySet<Param>, lr: number, clipNorm: number | null, gradientsOnly = false): DenseStepResult {
    const rows = batch.size;
    this.layout(batch, rows);
    if (!this.live) this.load();
    const result = this.forwardAndBackward(batch, rows);
    if (gradientsOnly) return result;
    const started = performance.now();
    const updated = this.slots.filter((s) => trained.has(s.param));
    if (clipNorm !== null) this.clip(updated, clipNorm);
    if (!this.adam) throw new Error('a fused dense step made for inference cannot train');
    for (const s of updated) {
      s.updates += 1;
      const a = adamScalars(this.adam, s.updates, lr);
      this.simd.adam(s.values, s.gradient, s.first, s.second, Math.ceil(s.size / 4) * 4, a.beta1, a.oneMinusBeta1, a.beta2, a.oneMinusBeta2, a.alpha, a.epsilon, a.decay ?? 1);
    }
    result.optimizerMs = performance.now() - started;
    return result;
  }

  /** The gradient of every parameter after `run(…, gradientsOnly)`, by name (copies). */
  gradients(): Map<string, Float32Array> {
    const f32 = this.arena.f32;
    return new Map(this.slots.map((s) => [s.param.name, f32.slice(s.gradient / 4, s.gradient / 4 + s.size)]));
  }

  /** torch's clip_grad_norm_ over the gradients being applied, as clippedByGlobalNorm does it in float32. */
  private clip(slots: readonly ParamSlot[], clipNorm: number): void {
    const f32 = this.arena.f32;
    let squares = 0;
    for (const s of slots) for (let i = s.gradient / 4, end = i + s.size; i < end; i++) squares += f32[i]! * f32[i]!;
    const f = Math.fround;
    const scale = f(Math.min(1, f(clipNorm / f(f(Math.sqrt(squares)) + f(1e-6)))));
    if (scale === 1) return;
    for (const s of slots) for (let i = s.gradient / 4, end = i + s.size; i < end; i++) f32[i] = f32[i]! * scale;
  }

  /** The forward pass, layer by layer; each layer's dy zeroed for the backward pass. */
  private forward(batch: Batch, rows: number): void {
    const { layers } = this.plan;
    for (let l = 0; l < layers.length; l++) {
      const layer = layers[l]!;
      const m = this.memory[l]!;
      const n = rows * layer.units;
      if (layer.kind === 'mixture') this.mix(layer, m, rows);
      else {
        const kernel = m.kernel!.values, bias = m.bias!.values;
        if (layer.source.kind === 'input') {
          const data = batch.inputs[layer.source.id]!;
          if (data.lookup) {
            if (m.termsBuilder) this.lookupTerms(data, rows, layer, m);
            this.rowSums(m.y, kernel, bias, m.offset, m.weight, m.start, rows, layer.units);
          } else {
            this.arena.f32.set(data.data as Float32Array, m.input / 4);
            this.denseProduct(m.y, kernel, bias, m.input, rows, layer.inputs, layer.units);
          }
        } else {
          this.denseProduct(m.y, kernel, bias, this.memory[layer.source.index]!.y, rows, layer.inputs, layer.units);
        }
        if (layer.activation === 'relu') this.elementwise('relu', m.y, 0, n);
        else if (layer.activation === 'softmax') this.softmax(m.y, rows, layer.units);
      }
      this.arena.f32.fill(0, m.dy / 4, m.dy / 4 + n);
    }
  }

  private forwardAndBackward(batch: Batch, rows: number): DenseStepResult {
    const { layers } = this.plan;
    this.forward(batch, rows);
    // The losses and their gradient with respect to each head's logit.
    const f32 = this.arena.f32;
    let value = 0;
    const taskLosses: number[] = [];
    for (const { task, layer, weight, loss: kind } of this.plan.tasks) {
      const label = batch.labels[task]!;
      const values = label.values.data;
      const mask = label.mask;
      let count = 0;
      for (let r = 0; r < rows; r++) count += mask[r]!;
      const denominator = Math.max(1, count);
      const units = layers[layer]!.units;
      const y = this.memory[layer]!.y / 4, dy = this.memory[layer]!.dy / 4;
      let sum = 0;
      for (let r = 0; r < rows; r++) {
        if (mask[r] === 0) continue;
        if (kind === 'bce') {
          const x = f32[y + r]!;
          const label = values[r]!;
          // softplus(x) − x·y, stable for large |x|; its gradient σ(x) − y.
          sum += (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))) - x * label;
          f32[dy + r] = (weight * (1 / (1 + Math.exp(-x)) - label)) / denominator;
        } else if (kind === 'ce') {
          // −log softmax(x)[class], through log-sum-exp; its gradient softmax(x) − onehot(class). A class outside the
          // head's (how a missing class reads) is tfjs's zero one-hot row: loss and gradient 0.
          const row = y + r * units, label = values[r]!;
          if (!(Number.isInteger(label) && label >= 0 && label < units)) continue;
          let max = -Infinity;
          for (let u = 0; u < units; u++) max = Math.max(max, f32[row + u]!);
          let total = 0;
          for (let u = 0; u < units; u++) total += Math.exp(f32[row + u]! - max);
          const logSum = max + Math.log(total);
          sum += logSum - f32[row + label]!;
          for (let u = 0; u < units; u++) f32[dy + r * units + u] = (weight * (Math.exp(f32[row + u]! - logSum) - (u === label ? 1 : 0))) / denominator;
        } else {
          // The row's mean of (x − y)² over the units; its gradient 2 (x − y) / units.
          let row = 0;
          for (let u = 0; u < units; u++) {
            const error = f32[y + r * units + u]! - values[r * units + u]!;
            row += error * error;
            f32[dy + r * units + u] = (weight * 2 * error) / units / denominator;
          }
          sum += row / units;
        }
      }
      const loss = sum / denominator;
      taskLosses.push(loss);
      value += weight * loss;
    }
    // Backward, in reverse: each layer's dy is whole once the layers after it (its readers) are done.
    for (let l = layers.length - 1; l >= 0; l--) {
      const layer = layers[l]!;
      const m = this.memory[l]!;
      if (layer.kind === 'mixture') {
        this.unmix(layer, m, rows);
        continue;
      }
      const kernel = m.kernel!, bias = m.bias!;
      const units = layer.units;
      const k = layer.inputs;
      if (layer.activation === 'relu') this.elementwise('reluGradient', m.dy, m.y, rows * units);
      else if (layer.activation === 'softmax') this.softmaxGradient(m.dy, m.y, rows, units);
      this.columnSums(bias.gradient, m.dy, rows, units);
      // dW: each row's dz, weighted by the row's input values, into the kernel rows they read
      const a = this.arena.f32;
      a.fill(0, kernel.gradient / 4, kernel.gradient / 4 + k * units);
      if (layer.source.kind === 'input') {
        if (batch.inputs[layer.source.id]!.lookup) this.rowScatter(kernel.gradient, m.dy, m.offset, m.weight, m.start, rows, units);
        else this.denseScatter(kernel.gradient, m.dy, m.input, rows, k, units);
        continue;
      }
      const source = this.memory[layer.source.index]!;
      this.denseScatter(kernel.gradient, m.dy, source.y, rows, k, units);
      // dx = dz · Wᵀ over dz's non-zeros, into the source's dy (added when the source has other readers)
      const w = kernel.values / 4, t = m.transposed / 4;
      for (let i = 0; i < k; i++) {
        const row = w + i * units;
        for (let u = 0; u < units; u++) a[t + u * k + i] = a[row + u]!;
      }
      const alone = layers[layer.source.index]!.readers === 1;
      this.denseProduct(alone ? source.dy : m.dx, m.transposed, this.zeroBlock, m.dy, rows, units, k);
      if (!alone) this.elementwise('addInto', source.dy, m.dx, rows * k);
    }
    return { value, taskLosses, optimizerMs: 0 };
  }

  /** A mixture's output: Σ_k gate[r, k] · expert_k[r]. */
  private mix(layer: MixtureLayer, m: LayerMemory, rows: number): void {
    const f = this.arena.f32;
    const units = layer.units, count = layer.experts.length;
    const out = m.y / 4, gate = this.memory[layer.gate]!.y / 4;
    f.fill(0, out, out + rows * units);
    layer.experts.forEach((e, k) => {
      const expert = this.memory[e]!.y / 4;
      for (let r = 0; r < rows; r++) {
        const g = f[gate + r * count + k]!;
        for (let u = 0; u < units; u++) f[out + r * units + u] = Math.fround(f[out + r * units + u]! + Math.fround(g * f[expert + r * units + u]!));
      }
    });
  }

  /** Its gradient: expert_k's dy += gate[:, k] · dout; the gate's dy[:, k] += dout · expert_k (row by row). */
  private unmix(layer: MixtureLayer, m: LayerMemory, rows: number): void {
    const f = this.arena.f32;
    const units = layer.units, count = layer.experts.length;
    const dout = m.dy / 4, gate = this.memory[layer.gate]!.y / 4, dgate = this.memory[layer.gate]!.dy / 4;
    layer.experts.forEach((e, k) => {
      const expert = this.memory[e]!.y / 4, dexpert = this.memory[e]!.dy / 4;
      for (let r = 0; r < rows; r++) {
        const g = f[gate + r * count + k]!;
        let dot = 0;
        for (let u = 0; u < units; u++) {
          const d = f[dout + r * units + u]!;
          f[dexpert + r * units + u] = Math.fround(f[dexpert + r * units + u]! + Math.fround(g * d));
          dot = Math.fround(dot + Math.fround(d * f[expert + r * units + u]!));
        }
        f[dgate + r * count + k] = Math.fround(f[dgate + r * count + k]! + dot);
      }
    });
  }

  /** Softmax of each row in place, as tfjs computes it: e^(x − max) / Σ. */
  private softmax(at: number, rows: number, units: number): void {
    const f = this.arena.f32;
    for (let r = 0, o = at / 4; r < rows; r++, o += units) {
      let max = -Infinity;
      for (let u = 0; u < units; u++) max = Math.max(max, f[o + u]!);
      let sum = 0;
      for (let u = 0; u < units; u++) sum += f[o + u] = Math.exp(f[o + u]! - max);
      for (let u = 0; u < units; u++) f[o + u] = f[o + u]! / sum;
    }
  }

  /** Through a softmax: dz = y ⊙ (dy − Σ_j dy_j y_j), row by row, in place in dy. */
  private softmaxGradient(dy: number, y: number, rows: number, units: number): void {
    const f = this.arena.f32;
    for (let r = 0, d = dy / 4, o = y / 4; r < rows; r++, d += units, o += units) {
      let dot = 0;
      for (let u = 0; u < units; u++) dot += f[d + u]! * f[o + u]!;
      for (let u = 0; u < units; u++) f[d + u] = f[o + u]! * (f[d + u]! - dot);
    }
  }

  /** A lookup input's terms for its layer (embedding-bag.ts's termsOf), written into the layer's memory. */
  private lookupTerms(data: TensorData, rows: number, layer: DenseLayer, m: LayerMemory): void {
    const f32 = this.arena.f32, i32 = this.arena.i32;
    const terms = rows * data.shape[1]!;
    termsOf(data.lookup!, data.data, rows, layer.units, {
      offset: i32.subarray(m.offset / 4, m.offset / 4 + terms),
      weight: f32.subarray(m.weight / 4, m.weight / 4 + terms),
      start: i32.subarray(m.start / 4, m.start / 4 + rows + 1),
    });
  }

  /** out [rows, units] = init + x [rows, k] · table [k, units], skipping x's zeros: SIMD for units % 4 == 0. */
  private denseProduct(out: number, table: number, init: number, x: number, rows: number, k: number, units: number): void {
    if (units % 16 === 0) return this.simd.runDense(out, table, init, x, rows, k, units, 0);
    if (units % 4 === 0) return this.simd.runDense4(out, table, init, x, rows, k, units, 0);
    if (units === 1 && k % 4 === 0) return this.simd.dotRows(out, table, init, x, rows, k);
    const f = this.arena.f32;
    const [o, tb, ini, xs] = [out / 4, table / 4, init / 4, x / 4];
    for (let r = 0; r < rows; r++) {
      for (let u = 0; u < units; u++) {
        let sum = f[ini + u]!;
        for (let i = 0; i < k; i++) sum = Math.fround(sum + Math.fround(f[xs + r * k + i]! * f[tb + i * units + u]!));
        f[o + r * units + u] = sum;
      }
    }
  }

  /** out [k, units] += x [rows, k]ᵀ · dz [rows, units], skipping x's zeros. */
  private denseScatter(out: number, dz: number, x: number, rows: number, k: number, units: number): void {
    if (units % 16 === 0) return this.simd.scatterDense(out, dz, 0, x, rows, k, units, 0);
    if (units % 4 === 0) return this.simd.scatterDense4(out, dz, 0, x, rows, k, units, 0);
    // One unit: out [1, k] = dzᵀ [1, rows] · x [rows, k], the product above with dz as its one row (out starts at zero).
    if (units === 1 && k % 4 === 0) return this.denseProduct(out, x, this.zeroBlock, dz, 1, rows, k);
    const f = this.arena.f32;
    const [o, d, xs] = [out / 4, dz / 4, x / 4];
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < k; i++) {
        const w = f[xs + r * k + i]!;
        if (w === 0) continue;
        for (let u = 0; u < units; u++) f[o + i * units + u] = f[o + i * units + u]! + Math.fround(w * f[d + r * units + u]!);
      }
    }
  }

  /** A lookup layer's product over its terms (weighted-rows.ts's run). */
  private rowSums(out: number, table: number, init: number, offset: number, weight: number, start: number, rows: number, units: number): void {
    if (units % 16 === 0) return this.simd.run(out, table, init, offset, weight, start, rows, units);
    if (units % 4 === 0) return this.simd.run4(out, table, init, offset, weight, start, rows, units);
    const f = this.arena.f32, i32 = this.arena.i32;
    const [o, tb, ini, off, wt, st] = [out / 4, table / 4, init / 4, offset / 4, weight / 4, start / 4];
    for (let r = 0; r < rows; r++) {
      for (let u = 0; u < units; u++) {
        let sum = f[ini + u]!;
        for (let i = i32[st + r]!; i < i32[st + r + 1]!; i++) sum = Math.fround(sum + Math.fround(f[wt + i]! * f[tb + i32[off + i]! + u]!));
        f[o + r * units + u] = sum;
      }
    }
  }

  /** Its transpose: the kernel's gradient over the same terms (weighted-rows.ts's scatter). */
  private rowScatter(out: number, dz: number, offset: number, weight: number, start: number, rows: number, units: number): void {
    if (units % 16 === 0) return this.simd.scatter(out, dz, 0, offset, weight, start, rows, units);
    if (units % 4 === 0) return this.simd.scatter4(out, dz, 0, offset, weight, start, rows, units);
    const f = this.arena.f32, i32 = this.arena.i32;
    const [o, d, off, wt, st] = [out / 4, dz / 4, offset / 4, weight / 4, start / 4];
    for (let r = 0; r < rows; r++) {
      for (let i = i32[st + r]!; i < i32[st + r + 1]!; i++) {
        const w = f[wt + i]!, target = o + i32[off + i]!;
        for (let u = 0; u < units; u++) f[target + u] = f[target + u]! + Math.fround(w * f[d + r * units + u]!);
      }
    }
  }

  /** An elementwise routine over n floats: SIMD over the multiple of 4, the rest here. */
  private elementwise(entry: 'relu' | 'reluGradient' | 'addInto', a: number, b: number, n: number): void {
    const whole = n - (n % 4);
    this.simd[entry](a, entry === 'relu' ? whole : b, whole);
    const f = this.arena.f32;
    for (let i = whole; i < n; i++) {
      const [ai, bi] = [a / 4 + i, b / 4 + i];
      if (entry === 'relu') f[ai] = f[ai]! > 0 ? f[ai]! : 0;
      else if (entry === 'reluGradient') f[ai] = f[bi]! > 0 ? f[ai]! : 0;
      else f[ai] = f[ai]! + f[bi]!;
    }
  }

  /** out [units] = Σ rows of x [rows, units]. */
  private columnSums(out: number, x: number, rows: number, units: number): void {
    if (units % 4 === 0) return this.simd.columnSums(out, x, rows, units);
    const f = this.arena.f32;
    for (let u = 0; u < units; u++) {
      let sum = 0;
      for (let r = 0; r < rows; r++) sum = Math.fround(sum + f[x / 4 + r * units + u]!);
      f[out / 4 + u] = sum;
    }
  }
}
