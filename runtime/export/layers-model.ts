/**
 * The model as a plain tf.LayersModel (functional API), for TensorFlow.js users who load it with `tf.loadLayersModel`
 * and nothing of mtl: its input is the encoded feature vector (the package's encoders make it), and it has one output
 * per task, the head's predictions (a probability, class probabilities, a value).
 *
 * Written only where every layer is one TensorFlow.js serialises with its own classes, one model input: dense layers
 * (backbones, shared trunks, towers, soft sharing's columns, MMoE's, CGC's and PLE's experts and gates) and their mixtures, made of
 * built-in layers (below). Cross-stitch units, adapters and learned points are mtl's own computations, so those
 * models get none, and the manifest says why.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Activation, HeadKind, LayerKind, LayerPlan, ModulePlan, SharingKind } from '../../job/job.js';
import { moduleGraph } from '../model/graph.js';
import { refKey, type SourceRef } from '../model/refs.js';
import type { MtlModel } from '../model/types.js';
import type { InferenceJob } from '../serving/package-format.js';

/** The activation of a head's predictions, by head kind; null where the head has no tf.layers form. */
const headActivation = {
  binary: 'sigmoid',
  multiclass: 'softmax',
  multilabel: 'sigmoid',
  regression: 'linear',
  objective: null,
  tagging: null,
  span: null,
  dense: null,
} satisfies Record<HeadKind, 'sigmoid' | 'softmax' | 'linear' | null>;

/** Why a sharing scheme has no tf.LayersModel form; null for the schemes whose forward pass is layers TensorFlow.js has. */
const sharingWhy = {
  hard: null,
  mmoe: null,
  cgc: null,
  ple: null,
  cross_stitch: 'its cross-stitch units mix the task columns after each layer with learned weights, a computation of mtl\'s own',
  adapters: 'its per-task adapters are added to the shared layers\' outputs, a computation of mtl\'s own',
  mtan: 'each task reads the shared layers\' outputs through attention masks of its own, a computation of mtl\'s own',
  // Its columns are tied only by a training penalty: at inference each task's column is dense layers like any other.
  soft: null,
  lora: 'its per-task low-rank updates change the shared dense layers for each task: export with --merge-lora to write each task\'s layers merged',
} satisfies Record<SharingKind, string | null>;

/** Activations tf.layers.dense takes by the same name and formula as mtl's dense layer (model/dense.ts). */
const LAYER_ACTIVATIONS = new Set<Activation>(['relu', 'sigmoid', 'tanh', 'linear', 'softmax']);

/** What a layer's tf.layers form is built from: its plan, what it reads (already built), its name and its weights by parameter name. */
interface LayerContext<K extends LayerKind> {
  plan: Extract<LayerPlan, { kind: K }>;
  sources: tf.SymbolicTensor[];
  name: string;
  param: (suffix: string) => tf.Tensor;
  /** Built once per key and shared by the layers that ask (the experts' stack, whichever task mixes it). */
  memo: (key: string, build: () => tf.SymbolicTensor) => tf.SymbolicTensor;
  moduleOf: (id: string) => ModulePlan;
}

/** A layer kind's tf.layers form: why it has none, or its output and the (layer, weights) pairs to set. */
interface LayerForm<K extends LayerKind> {
  why: (plan: Extract<LayerPlan, { kind: K }>) => string | null;
  build: (context: LayerContext<K>) => { output: tf.SymbolicTensor; weights: { layer: tf.layers.Layer; values: tf.Tensor[] }[] };
}

const dense: LayerForm<'dense'> = {
  why: (plan) => (LAYER_ACTIVATIONS.has(plan.activation) ? null : `it uses ${plan.activation}, which tf.layers.dense computes differently`),
  build: ({ plan, sources, name, param }) => {
    const layer = tf.layers.dense({ units: plan.units, activation: plan.activation as 'relu', name });
    return { output: layer.apply(sources[0]!) as tf.SymbolicTensor, weights: [{ layer, values: [param('kernel'), param('bias')] }] };
  },
};

/**
 * Σ_k gate_k · expert_k (layers/mixture.ts) from built-in layers: each expert's [batch, width] reshaped to
 * [batch, 1, width] and concatenated into [batch, experts, width] (once, whichever tasks mix it), then Dot over axis 1
 * of the gate [batch, experts] and the stack, which contracts the experts away and leaves [batch, width].
 */
const mixture: LayerForm<'mixture'> = {
  why: () => null,
  build: ({ plan, sources, name, memo }) => {
    const experts = sources.slice(0, -1);
    const gate = sources[sources.length - 1]!;
    // An expert's row and a set of experts' stack are each built once: CGC and PLE mix one expert in several sets.
    const rows = experts.map((e, k) => memo(`row:${plan.experts[k]}`, () => tf.layers.reshape({ targetShape: [1, ...e.shape.slice(1)] as number[], name: `${plan.experts[k]}_row` }).apply(e) as tf.SymbolicTensor));
    const stack = memo(`stack:${plan.experts.join(',')}`, () =>
      rows.length === 1 ? rows[0]! : (tf.layers.concatenate({ axis: 1, name: `${name}_experts` }).apply(rows) as tf.SymbolicTensor));
    return { output: tf.layers.dot({ axes: [1, 1], name }).apply([gate, stack]) as tf.SymbolicTensor, weights: [] };
  },
};

/** Layer kinds with a tf.layers form; any other kind has none. */
const layerForms: { [K in LayerKind]?: LayerForm<K> } = { dense, mixture };

/** Why `job` has no tf.LayersModel, or null when it has one. */
function whyNone(job: InferenceJob): string | null {
  const inputs = new Set(job.tasks.map((t) => t.input));
  if (inputs.size !== 1) return `its tasks read ${inputs.size} inputs; a tf.LayersModel here reads one encoded vector`;
  for (const module of job.modules) {
    const sharing = sharingWhy[module.sharing.kind];
    if (sharing !== null) return `module '${module.id}' uses ${module.sharing.kind} sharing: ${sharing}`;
    for (const [index, layer] of module.layers.entries()) {
      const form = layerForms[layer.kind] as LayerForm<LayerKind> | undefined;
      if (!form) return `module '${module.id}' layer ${index} is a ${layer.kind} layer, which has no TensorFlow.js layer of its own`;
      const why = form.why(layer);
      if (why !== null) return `module '${module.id}' layer ${index}: ${why}`;
    }
  }
  for (const task of job.tasks) {
    if (headActivation[task.head.kind] === null) return `task '${task.name}' has a ${task.head.kind} head, which has no TensorFlow.js form`;
    if (task.reads || task.product) return `task '${task.name}' ${task.product ? 'multiplies' : 'reads'} other tasks' predictions, which this export does not build`;
  }
  return null;
}

/** The tf.LayersModel of `model` (its weights' values copied), reading the encoded vector of `inputWidth`; or why there is none. */
export function layersModel(model: MtlModel<InferenceJob>, inputWidth: (input: string) => number): { model: tf.LayersModel } | { why: string } {
  const job = model.job;
  const why = whyNone(job);
  if (why !== null) return { why };
  const graph = moduleGraph(job);
  const input = job.inputs.find((i) => i.id === job.tasks[0]!.input)!;
  const x = tf.input({ shape: [inputWidth(input.id)], name: input.id });
  const built = new Map<string, tf.SymbolicTensor>();
  const params = new Map(model.params.map((p) => [p.name, p.variable]));
  const weights: { layer: tf.layers.Layer; values: tf.Tensor[] }[] = [];
  const memo = (key: string, build: () => tf.SymbolicTensor): tf.SymbolicTensor => {
    let out = built.get(key);
    if (!out) built.set(key, (out = build()));
    return out;
  };

  const output = (ref: SourceRef, task: string): tf.SymbolicTensor => {
    if (ref.kind === 'input') return x;
    return memo(refKey(ref), () => {
      const plan = graph.module(ref.module).layers[ref.layer]!;
      const form = layerForms[plan.kind] as LayerForm<LayerKind>;
      const layer = form.build({
        plan,
        sources: graph.reads(ref, task).map((source) => output(source, task)),
        name: `${ref.module}_${ref.layer}`,
        param: (suffix) => params.get(`${ref.module}/${ref.layer}/${suffix}`)!,
        memo,
        moduleOf: graph.module,
      });
      weights.push(...layer.weights);
      return layer.output;
    });
  };
  const outputs = job.tasks.map((task) => {
    const head = tf.layers.dense({ units: model.heads.get(task.name)!.units, activation: headActivation[task.head.kind]!, name: task.name });
    const y = head.apply(output(graph.headSource(task.name), task.name)) as tf.SymbolicTensor;
    weights.push({ layer: head, values: [params.get(`head/${task.name}/kernel`)!, params.get(`head/${task.name}/bias`)!] });
    return y;
  });
  const layersModel = tf.model({ inputs: x, outputs, name: 'mtl' });
  for (const { layer, values } of weights) layer.setWeights(values);
  return { model: layersModel };
}

/** Writes `model` as `dir/model.json` and `dir/weights.bin`, the files `tf.loadLayersModel` reads. */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = new Uint8Array(artifacts.weightData as ArrayBuffer);
      await writeFile(join(dir, 'weights.bin'), weights);
      const json = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: 'mtl export',
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      await writeFile(join(dir, 'model.json'), `${JSON.stringify(json)}\n`);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
    }),
  );
}
