/**
 * buildModel: tf.Variables for the job's module graph and one head per task, with a memoized forward pass.
 *
 * The whole build, in order:
 *   assertModelRunnable  refuses a model the runtime does not run yet (support.ts), from the runtime's tables
 *   moduleGraph        what every layer and head reads; a cycle is an error (graph.ts)
 *   jobShapes          the job's shapes, resolved, checked against each layer kind (shapes.ts)
 *   attach schemes     each sharing scheme the job uses, with its modules (schemes/)
 *   parameters         modules in job order, layer by layer (layers/), then the module's scheme parameters
 *                      (adapters); then the schemes' own (cross-stitch matrices); then the heads in task order
 *   forward            the generic executor (executor.ts); paramsFor (ownership.ts); penalty (the schemes')
 */
import * as tf from '@tensorflow/tfjs';
import type { SharingKind, Width } from '../../job/job.js';
import { Random } from '../random.js';
import { taskDependencies } from './dependencies.js';
import { makeForward } from './executor.js';
import { moduleGraph } from './graph.js';
import { headRuntime } from './heads/index.js';
import { projections, type HeadLogits } from './heads/projections.js';
import { layerRuntime } from './layers/index.js';
import type { LayerFn } from './layers/layer.js';
import { routingLog } from './routing.js';
import { paramsForTasks } from './ownership.js';
import { paramStore } from './params.js';
import { reach as reachOf } from './reach.js';
import { requireVector } from './require-vector.js';
import { sharingScheme } from './schemes/index.js';
import type { AttachedScheme, SchemeContext, SharingScheme } from './schemes/scheme.js';
import { inputShapes, jobShapes } from './shapes.js';
import type { ModelJob } from './model-job.js';
import { assertModelRunnable } from './support.js';
import type { HeadInfo, MtlModel } from './types.js';

/**
 * @param widths resolves symbolic widths (vocabulary sizes) learned from the training split
 * @param seed the same seed gives the same initial weights and the same dropout masks
 * @param options.schemes another implementation of a scheme, for tests and benches that compare two (mmoeUnfused)
 */
export function buildModel<J extends ModelJob>(
  job: J, widths: (w: Width) => number, seed: number, options: { schemes?: Partial<Record<SharingKind, SharingScheme>> } = {},
): MtlModel<J> {
  assertModelRunnable(job);
  const random = new Random(seed);
  const graph = moduleGraph(job);
  const shapeOf = jobShapes(job, graph, widths);
  const store = paramStore(random);

  // Each scheme the job uses, attached once with its modules, in job order of first use.
  const attached = new Map<SharingKind, AttachedScheme>();
  for (const kind of new Set(job.modules.map((m) => m.sharing.kind))) {
    const scheme = options.schemes?.[kind] ?? sharingScheme(kind);
    const context: SchemeContext = {
      job,
      graph,
      shapeOf,
      addParam: (name, owner, values, shape) => {
        if (!scheme.trains) throw new Error(`${kind} sharing adds parameter '${name}' but has no rule for when its parameters train (SharingScheme.trains)`);
        return store.add(name, { kind: 'scheme', scheme: kind, ...owner }, values, shape);
      },
      glorot: store.glorot,
      moduleParams: (module) => store.params.filter((p) => p.owner.kind === 'module' && p.owner.module === module),
    };
    attached.set(kind, scheme.attach(job.modules.filter((m) => m.sharing.kind === kind), context));
  }
  const schemeOf = (module: string) => attached.get(graph.module(module).sharing.kind)!;

  // Module parameters, in job order, layer by layer, then the module's scheme parameters (adapters, task by task).
  const layers = new Map<string, LayerFn>();
  const routing = routingLog();
  for (const module of job.modules) {
    module.layers.forEach((layer, index) => {
      const ref = { kind: 'layer', module: module.id, layer: index } as const;
      layers.set(
        `${module.id}/${index}`,
        layerRuntime(layer).build(layer, inputShapes(graph, shapeOf, ref), {
          where: `module '${module.id}' layer ${index} (${layer.kind})`,
          prefix: `${module.id}/${index}`,
          owner: { kind: 'module', module: module.id },
          store,
          width: widths,
          routing,
        }),
      );
    });
    attached.get(module.sharing.kind)!.addModuleParams?.(module);
  }
  // The schemes' own parameters (cross-stitch matrices, share by share, layer by layer).
  for (const scheme of attached.values()) scheme.afterModules?.();

  // Heads: a task whose `from` is null reads its input directly (a linear baseline). Each head's projection
  // (heads/projections.ts) makes its parameters and its logits from what reaches it, and the predictions of the tasks
  // it reads after it; a product task has no head parameters (its logits are its factors', multiplied).
  const heads = new Map<string, HeadInfo>(job.tasks.map((task) => [task.name, { task, units: widths(task.head.units) }]));
  const dependencies = taskDependencies(job, heads);
  const headLogits = new Map<string, HeadLogits>();
  for (const task of job.tasks) {
    if (task.product) continue;
    const head = heads.get(task.name)!;
    const runtime = headRuntime(head);
    const source = shapeOf(graph.headSource(task.name));
    // A per-token head reads [length, width] per row, and projects each position's width alike: its rows are the
    // batch's token positions, [n·length, width].
    const perToken = runtime.perToken === true && source.length === 2;
    let reaching = perToken ? source.slice(1) : source;
    if (task.reads) {
      requireVector(reaching, `the head of task '${task.name}', which reads other tasks' predictions,`);
      reaching = [reaching[0]! + task.reads.reduce((sum, t) => sum + dependencies.width(t), 0)];
    }
    const logits = projections[runtime.projection]({ head, reaching, job, widths, store });
    headLogits.set(task.name, perToken ? (x, tokenMask) => logits(x.rank === 3 ? tf.reshape(x, [-1, x.shape[2]!]) : x, tokenMask) : logits);
  }

  const schemes = [...attached.values()];
  const reach = reachOf(
    graph,
    (ref) => schemeOf(ref.module).extraInputs?.(ref) ?? [],
    (module) => schemeOf(module).ownViews?.(module),
  );
  const dropoutRandom = random.fork('dropout');
  const params = store.params;

  return {
    job,
    params,
    heads,
    ...makeForward({ graph, reach, layers, schemeOf, heads: headLogits, dependencies, drawSeed: () => dropoutRandom.int(2 ** 31 - 1) }),
    paramsFor: paramsForTasks(params, graph, reach, dependencies),
    gates: schemes.flatMap((scheme) => scheme.gates?.() ?? []),
    routing,
    dropout: { save: () => dropoutRandom.state(), restore: (state) => dropoutRandom.restore(state as number[]) },
    penalty: (trained) => {
      const trainedVariables = new Set(trained.map((p) => p.variable));
      const terms = schemes.flatMap((scheme) => scheme.penalties?.(trainedVariables) ?? []);
      if (terms.length === 0) return null;
      return terms.length === 1 ? terms[0]! : (tf.addN(terms) as tf.Scalar);
    },
    dispose: () => params.forEach((p) => p.variable.dispose()),
  };
}
