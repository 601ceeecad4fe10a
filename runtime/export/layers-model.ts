/**
 * The model as a plain tf.LayersModel (functional API), for TensorFlow.js users who load it with `tf.loadLayersModel`
 * and nothing of mtl: its input is the encoded feature vector (the package's encoders make it), and it has one output
 * per task, the head's predictions (a probability, class probabilities, a value).
 *
 * Written only where every layer is one TensorFlow.js serialises with its own classes: dense layers (backbones, shared
 * trunks, towers), under hard sharing, one model input. MMoE's mixture (a gate-weighted sum of experts), cross-stitch
 * units, adapters, soft sharing's separate columns and learned points are mtl's own computations, so those models
 * get none, and the manifest says why.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Activation, HeadKind } from '../../job/job.js';
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

/** Activations tf.layers.dense takes by the same name and formula as mtl's dense layer (model/dense.ts). */
const LAYER_ACTIVATIONS = new Set<Activation>(['relu', 'sigmoid', 'tanh', 'linear', 'softmax']);

/** The tf.LayersModel of `model` (its weights' values copied), reading the encoded vector of `inputWidth`; or why there is none. */
export function layersModel(model: MtlModel<InferenceJob>, inputWidth: (input: string) => number): { model: tf.LayersModel } | { why: string } {
  const job = model.job;
  const inputs = new Set(job.tasks.map((t) => t.input));
  if (inputs.size !== 1) return { why: `its tasks read ${inputs.size} inputs; a tf.LayersModel here reads one encoded vector` };
  for (const module of job.modules) {
    if (module.sharing.kind !== 'hard') return { why: `module '${module.id}' uses ${module.sharing.kind} sharing, which has no TensorFlow.js layer of its own` };
    for (const [index, layer] of module.layers.entries()) {
      if (layer.kind !== 'dense') return { why: `module '${module.id}' layer ${index} is a ${layer.kind} layer, which has no TensorFlow.js layer of its own` };
      if (!LAYER_ACTIVATIONS.has(layer.activation)) return { why: `module '${module.id}' layer ${index} uses ${layer.activation}, which tf.layers.dense computes differently` };
    }
  }
  for (const task of job.tasks) {
    if (headActivation[task.head.kind] === null) return { why: `task '${task.name}' has a ${task.head.kind} head, which has no TensorFlow.js form` };
  }
  const graph = moduleGraph(job);
  const [inputId] = inputs;
  const input = job.inputs.find((i) => i.id === inputId)!;
  const x = tf.input({ shape: [inputWidth(input.id)], name: input.id });
  const built = new Map<string, tf.SymbolicTensor>();
  const params = new Map(model.params.map((p) => [p.name, p.variable]));
  const layers: { layer: tf.layers.Layer; weights: tf.Tensor[] }[] = [];

  const output = (ref: SourceRef, task: string): tf.SymbolicTensor => {
    if (ref.kind === 'input') return x;
    const key = refKey(ref);
    let out = built.get(key);
    if (!out) {
      const [source] = graph.reads(ref, task);
      const plan = graph.module(ref.module).layers[ref.layer] as Extract<InferenceJob['modules'][number]['layers'][number], { kind: 'dense' }>;
      const layer = tf.layers.dense({ units: plan.units, activation: plan.activation as 'relu', name: `${ref.module}_${ref.layer}` });
      out = layer.apply(output(source!, task)) as tf.SymbolicTensor;
      layers.push({ layer, weights: [params.get(`${ref.module}/${ref.layer}/kernel`)!, params.get(`${ref.module}/${ref.layer}/bias`)!] });
      built.set(key, out);
    }
    return out;
  };
  const outputs = job.tasks.map((task) => {
    const head = tf.layers.dense({ units: model.heads.get(task.name)!.units, activation: headActivation[task.head.kind]!, name: task.name });
    const y = head.apply(output(graph.headSource(task.name), task.name)) as tf.SymbolicTensor;
    layers.push({ layer: head, weights: [params.get(`head/${task.name}/kernel`)!, params.get(`head/${task.name}/bias`)!] });
    return y;
  });
  const layersModel = tf.model({ inputs: x, outputs, name: 'mtl' });
  for (const { layer, weights } of layers) layer.setWeights(weights);
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
