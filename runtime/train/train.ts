/**
 * The training loop: stages of epochs of steps. Each step draws a batch group by the sampling plan,
 * takes that group's next batch and trains every task of the group that the stage trains on it.
 * After every `evalEvery` epochs (and at the end of each stage), all tasks are evaluated on the validation split;
 * the best weights by the selection plan are kept and restored at the end. Early stopping ends the
 * current stage; the next one, if any, starts with fresh patience.
 *
 * Besides the validation rows, metrics.jsonl gets each task's mean training loss per epoch (`kind: 'train'`, for the
 * report's curves), the sampled gradient conflicts (`kind: 'conflict'`, every
 * `conflictsEvery` steps; marked `gradients: 'representation'` when they are of the shared representation) and, per
 * epoch, an adaptive weighting's current weights and what else it learns (`kind: 'weights'`, with uncertainty's
 * `log_variance`; the weightings whose entry says `logsWeights`) and, per moe layer, what it routed over the epoch's
 * training passes (`kind: 'routing'`: assignments per expert, those dropped for capacity, the mean balance loss).
 *
 * Checkpoints (`checkpoints`): every `every` steps and at each epoch's end (after its evaluation), the state of every
 * part that carries any from step to step, gathered by `snapshot`; `resume` puts it all back and goes on from the
 * recorded position (stage, epoch of the stage, step of the epoch), so the run continues bit for bit. After each step
 * the loss is checked for divergence (divergence.ts) and the `signal` for a stop; either ends training with
 * TrainingStopped, a stop after writing a checkpoint, a divergence without one (the weights are already bad).
 */
import { appendFileSync, existsSync, statSync, truncateSync } from 'node:fs';
import type { RoutingCounts } from '../model/routing.js';
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { onRepresentation, type Job } from '../../job/job.js';
import type { JobData } from '../data/api.js';
import { UserError } from '../errors.js';
import { buildModel } from '../model/build.js';
import { assertRunnable } from './support.js';
import type { MtlModel, Param } from '../model/types.js';
import { Random } from '../random.js';
import { RestartingBatches } from './batches.js';
import { evaluate, undefinedAucWarnings, type SplitScores } from './evaluate.js';
import { gateTelemetry, type GateRecord } from './experts.js';
import { makeOptimizer } from './optimizer.js';
import { makeProgress } from './progress.js';
import { groupSampler } from './sampling.js';
import { learningRate } from './schedule.js';
import { ConflictTally, type ConflictSummary } from './conflicts.js';
import { BestWeights, describeSelection, type ParetoEpoch } from './selection.js';
import { planStages } from './stages.js';
import { makeTrainStep } from './step.js';
import { denseStepPlan } from './dense-step.js';
import { simdSupported } from '../kernels/weighted-rows.js';
import { logsWeights, makeWeighting } from './weightings/index.js';
import { makeAggregator } from './aggregators/index.js';
import type { CheckpointedAggregator } from './aggregators/aggregator.js';
import { DivergenceWatch } from './divergence.js';
import { field, type StateValue } from '../checkpoint/state.js';
import type { CheckpointWriter } from '../checkpoint/store.js';
import { syncPath } from '../checkpoint/file.js';

/** The longest the step loop runs without giving the event loop a turn. */
const YIELD_EVERY_MS = 20;

export interface TrainOptions {
  /** A run directory: one line per evaluated epoch and task is appended to its metrics.jsonl. */
  out?: string;
  /** Where progress lines go; default: stderr. */
  log?: (line: string) => void;
  /** A live progress bar (default true), shown only when stderr is a terminal; otherwise, or when false, one line per epoch. */
  progress?: boolean;
  /** Called after every epoch, evaluated or not. */
  onEpoch?: (record: EpochRecord) => void;
  /** Train this model instead of building one from the job (its weights are trained in place). */
  model?: MtlModel;
  /** Write checkpoints: every `every` steps and at each epoch's end. */
  checkpoints?: {
    every: number;
    writer: CheckpointWriter;
    /** The last checkpoint written (by this run or the one it resumes); null before any. */
    last(): string | null;
    onWrite?: (written: { file: string; bytes: number; seconds: number }) => void;
  };
  /** Continue from a checkpoint's state (of the same job and data), as if training had never stopped. */
  resume?: StateValue;
  /** Once aborted, training stops after the current step, writes a checkpoint and throws TrainingStopped. */
  signal?: AbortSignal;
  /** Runtime optimizations left out (`--no-opt`, shared/optimizations.ts), for comparison. */
  noOpt?: readonly string[];
}

export interface EpochRecord {
  /** 1-based, counted across stages. */
  epoch: number;
  stage: number;
  /** Steps run so far, across stages. */
  steps: number;
  /** Mean total loss of the epoch's steps. */
  trainLoss: number;
  /** Mean loss of each task over the steps that trained it. */
  taskTrainLoss: Record<string, number>;
  /** Validation scores, when this epoch was evaluated. */
  valid: SplitScores | null;
  learningRate: number;
  stepsPerSecond: number;
  /** Seconds the epoch's training steps took (its evaluation not included). */
  trainSeconds: number;
}

export interface TrainResult {
  model: MtlModel;
  history: EpochRecord[];
  /** The evaluation whose weights the model holds at the end; null when no evaluation gave a score. */
  best: { epoch: number | null; score: number | null; scores: SplitScores | null };
  /** The evaluated epochs no other beats on every task's selection metric. */
  paretoEpochs: ParetoEpoch[];
  steps: number;
  stoppedEarly: boolean;
  seconds: number;
  /** Per pair of tasks, the sampled gradient conflicts of the run (empty when it sampled none). */
  conflicts: ConflictSummary[];
  /** An adaptive weighting's weights as the last epoch left them; null for one whose weights are not logged. */
  taskWeights: WeightsRecord | null;
  /** Each gate of a mixture of experts over the validation split, with the weights the run ends with (train/experts.ts). */
  experts: GateRecord[];
}

/** An adaptive weighting's task weights after an epoch, and what else it learns per task (uncertainty's `log_variance`). */
export interface WeightsRecord {
  epoch: number;
  weights: Record<string, number>;
  learned: Record<string, Record<string, number>>;
}

export async function train(job: Job, data: JobData, options: TrainOptions = {}): Promise<TrainResult> {
  const started = performance.now();
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const warned = new Set<string>(); // each undefined-AUC warning once per run, not once per evaluation
  const { training } = job;
  // A model given by the caller skips buildModel's check: what the runtime cannot run fails before anything trains.
  assertRunnable(job);
  const stages = planStages(job, data.fitted);
  let lastYield = performance.now();
  const stepsSaid = new Set<string>();
  const totalSteps = stages.reduce((sum, s) => sum + s.steps, 0);
  const model = options.model ?? buildModel(job, (w) => data.width(w), training.seed);
  const weighting = makeWeighting(job);
  const optimizer = makeOptimizer(training.optimizer, taskLrMultiplier(job), options.noOpt?.includes('fused-adam') ? { fused: false } : {});
  const params = [...model.params, ...weighting.params];
  const best = new BestWeights(training.selection, model.params);
  const progress = makeProgress({ bar: options.progress !== false && process.stderr.isTTY === true, log });
  const random = new Random(training.seed).fork('training');
  const schedule = training.optimizer.lr;
  const divergence = new DivergenceWatch();

  const streams = new Map<string, RestartingBatches>();
  const streamOf = (key: string) => {
    let stream = streams.get(key);
    if (!stream) {
      const [dataset] = key.split('\u0000') as [string];
      const shuffleRandom = random.fork(`shuffle/${key}`);
      stream = new RestartingBatches(data, dataset, training.batchSize, (pass) => shuffleRandom.fork(String(pass)).int(2 ** 31 - 1));
      streams.set(key, stream);
    }
    return stream;
  };

  let history: EpochRecord[] = [];
  const tally = new ConflictTally();
  // On the shared representation the sampled cosines are of the representation's gradients: the rows say so.
  const conflictsOf = onRepresentation(training.aggregation) ? { gradients: 'representation' } : {};
  let conflictRows: string[] = [];
  const logged = logsWeights(training.weighting);
  let lastWeights: WeightsRecord | null = null;
  let experts: GateRecord[] = [];
  let step = 0;
  let epoch = 0;
  let stoppedEarly = false;
  /** The step the current stage began at (a stage that stops early ends before its planned steps). */
  let stageStart = 0;
  // Where training goes on: the next step's stage, epoch of the stage and step of the epoch.
  let at: Position = { stage: 0, stageEpoch: 0, epochStep: 0 };
  let epochSoFar: EpochSoFar | null = null;
  let resumed: StateValue | null = null;
  if (options.resume) {
    const saved = options.resume;
    restoreParams(params, field(saved, 'params'));
    optimizer.checkpoint(params).restore(field(saved, 'optimizer'));
    weighting.state.restore(field(saved, 'weighting'));
    model.dropout.restore(field(saved, 'dropout'));
    best.state.restore(field(saved, 'selection'));
    tally.state.restore(field(saved, 'conflicts'));
    divergence.state.restore(field(saved, 'divergence'));
    for (const s of field<{ key: string; passes: number; taken: number }[]>(saved, 'streams')) await streamOf(s.key).resume(s);
    ({ step, epoch, stoppedEarly, stageStart, at } = field<{ step: number; epoch: number; stoppedEarly: boolean; stageStart: number; at: Position }>(saved, 'counters'));
    epochSoFar = field<EpochSoFar | null>(saved, 'epochSoFar');
    conflictRows = [...field<string[]>(saved, 'conflictRows')];
    lastWeights = field<WeightsRecord | null>(saved, 'lastWeights');
    history = field<EpochRecord[]>(saved, 'history').map((h) => ({ ...h }));
    if (options.out) truncateMetrics(options.out, field<number>(saved, 'metricsBytes'));
    resumed = saved;
    log(`resumed at step ${step} of ${totalSteps} (epoch ${epoch}${epochSoFar ? ', part-way' : ' done'})`);
  }

  const checkpointing = options.checkpoints;
  let sampler: { stage: number; random: Random } | null = null;
  let aggregator: CheckpointedAggregator | null = null;
  let epochTaskLoss = new Map<string, { sum: number; steps: number }>();
  let lossSum = 0;
  let epochSeconds = 0;
  /** Everything training carries, at a step boundary. */
  const snapshot = (): StateValue => {
    if (options.out) syncMetrics(options.out);
    return {
      counters: { step, epoch, stoppedEarly, stageStart, at },
      epochSoFar: at.epochStep > 0 ? { lossSum, taskLoss: Object.fromEntries(epochTaskLoss), seconds: epochSeconds } : null,
      params: Object.fromEntries(params.map((p) => [p.name, (p.variable.dataSync() as Float32Array).slice()])),
      optimizer: optimizer.checkpoint(params).save(),
      weighting: weighting.state.save(),
      aggregator: aggregator?.state.save() ?? null,
      dropout: model.dropout.save(),
      sampler: sampler ? { stage: sampler.stage, random: sampler.random.state() } : null,
      streams: [...streams].map(([key, stream]) => ({ key, ...stream.position() })),
      selection: best.state.save(),
      conflicts: tally.state.save(),
      conflictRows,
      lastWeights: lastWeights as unknown as StateValue,
      history: history as unknown as StateValue,
      divergence: divergence.state.save(),
      metricsBytes: options.out ? metricsSize(options.out) : 0,
    };
  };
  const writeCheckpoint = (atEpochEnd: boolean) => {
    if (!checkpointing) return null;
    const written = checkpointing.writer.write(snapshot(), step, atEpochEnd ? epoch : null, best.best.epoch);
    checkpointing.onWrite?.(written);
    return written.file;
  };

  try {
    for (let s = at.stage; s < stages.length; s++) {
      const stage = stages[s]!;
      // Resuming inside this stage: its sampler, aggregator and patience go on; otherwise the stage starts afresh.
      const inside = resumed !== null && s === at.stage && (at.stageEpoch > 0 || at.epochStep > 0);
      if (!inside) {
        best.resetPatience();
        stageStart = step;
      }
      sampler = { stage: s, random: random.fork(`sampling/${stage.index}`) };
      aggregator = makeAggregator(training.aggregation, training.seed);
      if (inside) {
        sampler.random.restore(field<number[]>(field(resumed!, 'sampler'), 'random'));
        aggregator.state.restore(field(resumed!, 'aggregator'));
      }
      const samplerRandom = sampler.random;
      const sampleGroup = groupSampler(stage.groups, training.sampling, stage.rowsPerTask, () => samplerRandom.next());
      const groupStreams = stage.groups.map((g) => streamOf(`${g.dataset}\u0000${g.input}`));
      let stepTaskLosses: Readonly<Record<string, number>> = {};
      const stepKind = trainingStepKind(model, stage.groups.length, stage.plan.tasks, weighting.current(), options.noOpt ?? []);
      if (!stepsSaid.has(stepKind.line)) log(stepKind.line);
      stepsSaid.add(stepKind.line);
      const trainStep = makeTrainStep(model, optimizer, {
        denseStep: stepKind.dense,
        tasks: stage.plan.tasks,
        frozen: stage.plan.frozen,
        weighting,
        aggregator,
        learningRate: (k) => learningRate(schedule, k, totalSteps),
        firstStep: step,
        conflictsEvery: training.conflictsEvery,
        onConflicts: (k, conflicts) => {
          tally.add(conflicts);
          for (const { tasks, cosine } of conflicts) conflictRows.push(JSON.stringify({ kind: 'conflict', step: k, epoch, tasks, cosine, ...conflictsOf }));
        },
        onTaskLosses: (losses) => {
          stepTaskLosses = losses;
          for (const [task, loss] of Object.entries(losses)) {
            const entry = epochTaskLoss.get(task) ?? { sum: 0, steps: 0 };
            entry.sum += loss;
            entry.steps += 1;
            epochTaskLoss.set(task, entry);
          }
        },
      });
      const stageEnd = stageStart + stage.steps;
      for (let stageEpoch = s === at.stage ? at.stageEpoch : 0; stageEpoch < stage.epochs && step < stageEnd; stageEpoch++) {
        const partWay = s === at.stage && stageEpoch === at.stageEpoch && at.epochStep > 0 && epochSoFar !== null;
        if (partWay) {
          epochTaskLoss = new Map(Object.entries(epochSoFar!.taskLoss).map(([t, e]) => [t, { ...e }]));
          lossSum = epochSoFar!.lossSum;
          epochSeconds = epochSoFar!.seconds;
        } else {
          epoch += 1;
          epochTaskLoss = new Map();
          lossSum = 0;
          epochSeconds = 0;
        }
        const firstStep = partWay ? at.epochStep : 0;
        at = { stage: s, stageEpoch, epochStep: firstStep };
        const epochSteps = Math.min(stage.stepsPerEpoch, stageEnd - step + firstStep);
        progress.startEpoch(epoch, epochSteps);
        for (let i = firstStep; i < epochSteps; i++) {
          const stepStarted = performance.now();
          const group = sampleGroup(step);
          const loss = trainStep(await groupStreams[group]!.next(), stage.groups[group]!.tasks);
          epochSeconds += (performance.now() - stepStarted) / 1000;
          const diverged = divergence.check(loss, stepTaskLosses);
          if (diverged !== null) {
            trainStep.flush();
            throw new TrainingStopped('diverged', `training diverged at step ${step + 1} (epoch ${epoch}): ${diverged}`, step + 1, checkpointing?.last() ?? null);
          }
          lossSum += loss;
          step += 1;
          at = { stage: s, stageEpoch, epochStep: i + 1 };
          progress.step(loss);
          // Batches from memory (kept rows) and fused steps never wait on I/O: let signals (Ctrl-C) and timers in.
          if (performance.now() - lastYield > YIELD_EVERY_MS) {
            await new Promise((resolve) => setImmediate(resolve));
            lastYield = performance.now();
          }
          if (options.signal?.aborted) {
            trainStep.flush();
            const file = writeCheckpoint(false);
            throw new TrainingStopped('interrupted', `interrupted after step ${step} of ${totalSteps} (epoch ${epoch})`, step, file);
          }
          if (checkpointing && step % checkpointing.every === 0 && i + 1 < epochSteps) {
            trainStep.flush();
            writeCheckpoint(false);
          }
        }
        // The fused dense step's parameters and moments back into the model and the optimizer, before anything reads them.
        trainStep.flush();
        const taskTrainLoss = Object.fromEntries([...epochTaskLoss].map(([t, e]) => [t, e.sum / e.steps]));
        weighting.endEpoch(taskTrainLoss);
        // The weights as the epoch leaves them: what the next epoch starts with.
        const weights = logged ? { epoch, weights: weighting.current(), learned: weighting.learned?.() ?? {} } : null;
        if (weights) lastWeights = weights;
        const routingRows = routingRowsOf(epoch, model.routing?.take());
        if (options.out) {
          const trainRows = job.tasks.filter((t) => t.name in taskTrainLoss).map(({ name }) => JSON.stringify({ kind: 'train', epoch, task: name, loss: taskTrainLoss[name] }));
          const weightRows = weights ? [JSON.stringify({ kind: 'weights', epoch, weights: weights.weights, ...weights.learned })] : [];
          appendLines(options.out, [...conflictRows, ...trainRows, ...weightRows, ...routingRows]);
        }
        conflictRows = [];
        // Every stage's end is evaluated too: the next stage changes what trains, and the run's end needs a score.
        const evaluated = epoch % Math.max(1, training.evalEvery) === 0 || step >= stageEnd;
        const valid = evaluated ? await evaluate(model, data, 'valid', { denseForward: !options.noOpt?.includes('fused-dense-step'), keep: true }) : null;
        for (const warning of valid ? undefinedAucWarnings(valid, 'valid') : []) {
          if (warned.has(warning)) continue;
          warned.add(warning);
          log(warning);
        }
        const record: EpochRecord = {
          epoch,
          stage: stage.index + 1,
          steps: step,
          trainLoss: lossSum / epochSteps,
          taskTrainLoss,
          valid,
          learningRate: learningRate(schedule, Math.max(0, step - 1), totalSteps),
          stepsPerSecond: epochSeconds > 0 ? epochSteps / epochSeconds : 0,
          trainSeconds: epochSeconds,
        };
        history.push(record);
        if (options.out && valid) appendMetrics(options.out, epoch, valid);
        if (options.out && valid) appendLines(options.out, (await gateTelemetry(model, data, 'valid')).map((gate) => expertsRow(epoch, gate)));
        const improved = valid ? best.offer(epoch, valid) : false;
        progress.endEpoch(epochLine(record, totalSteps, improved));
        options.onEpoch?.(record);
        const stopping = valid !== null && best.exhausted();
        if (stopping) stoppedEarly = true;
        const stageDone = stopping || stageEpoch + 1 >= stage.epochs || step >= stageEnd;
        at = stageDone ? { stage: s + 1, stageEpoch: 0, epochStep: 0 } : { stage: s, stageEpoch: stageEpoch + 1, epochStep: 0 };
        writeCheckpoint(true);
        if (stopping) {
          const where = stages.length > 1 ? ` (stage ${stage.index + 1})` : '';
          log(`early stop${where}: no improvement of ${describeSelection(training.selection)} in ${training.selection.patience} evaluations`);
          break;
        }
      }
    }
    if (best.restore()) log(`restored the weights of epoch ${best.best.epoch} (${describeSelection(training.selection)} ${format(best.best.score)})`);
    // The gates of the weights the run keeps (a pass over the validation split; none without gates).
    experts = await gateTelemetry(model, data, 'valid');
  } catch (error) {
    if (!options.model) model.dispose();
    throw error;
  } finally {
    progress.stop();
    for (const stream of streams.values()) await stream.close();
    optimizer.dispose();
    weighting.dispose();
  }
  return { model, history, best: best.best, paretoEpochs: best.pareto(), steps: step, stoppedEarly, seconds: (performance.now() - started) / 1000, conflicts: tally.summary(), taskWeights: lastWeights, experts };
}

/** Where training goes on: the next step's stage, its epoch within the stage, and its step within the epoch (0-based). */
type Position = {
  stage: number;
  stageEpoch: number;
  epochStep: number;
};

/** An epoch's running sums at a checkpoint written part-way through it. */
type EpochSoFar = {
  lossSum: number;
  taskLoss: Record<string, { sum: number; steps: number }>;
  seconds: number;
};

/** Why training stopped before its end, at which step, and the checkpoint it can go on from (null: none written). */
export class TrainingStopped extends UserError {
  constructor(
    readonly reason: 'interrupted' | 'diverged',
    message: string,
    readonly step: number,
    readonly checkpoint: string | null,
  ) {
    super(message, reason === 'interrupted' ? 130 : 1);
  }
}

function restoreParams(params: readonly Param[], saved: StateValue): void {
  const values = saved as Record<string, Float32Array>;
  for (const param of params) {
    const v = values[param.name];
    if (!v || v.length !== param.variable.size) throw new Error(`the checkpoint has no values of the right size for '${param.name}'`);
    tf.tidy(() => param.variable.assign(tf.tensor(v, param.variable.shape)));
  }
}

/**
 * What serves one task only learns at taskLr[task] × the rate: its head, every module only it reads (its
 * tower; its column under soft or cross-stitch sharing; its MMoE gate), and its adapters in a shared module.
 * What several tasks share learns at the rate itself: shared modules, MMoE experts, and cross-stitch
 * matrices, which mix every column of their share.
 */
export function taskLrMultiplier(job: Job): (param: Param) => number {
  const only = new Map(job.modules.filter((m) => m.tasks.length === 1).map((m) => [m.id, m.tasks[0]!]));
  const taskOf = (param: Param): string | undefined => {
    switch (param.owner.kind) {
      case 'head':
        return param.owner.task;
      case 'scheme':
        return param.owner.task ?? undefined;
      case 'module':
        return only.get(param.owner.module);
      case 'weighting':
      case 'statistic':
        return undefined;
    }
  };
  return (param) => {
    const task = taskOf(param);
    return task === undefined ? 1 : (job.training.taskLr[task] ?? 1);
  };
}

/** A `kind: 'experts'` row of metrics.jsonl: one gate over the validation split after an evaluated epoch. */
function expertsRow(epoch: number, gate: GateRecord): string {
  const { rowEntropy, ...rest } = gate;
  return JSON.stringify({ kind: 'experts', epoch, split: 'valid', ...rest, row_entropy: rowEntropy });
}

function appendMetrics(out: string, epoch: number, scores: SplitScores): void {
  appendLines(out, Object.entries(scores).map(([task, values]) => JSON.stringify({ epoch, split: 'valid', task, ...values })));
}

function appendLines(out: string, lines: readonly string[]): void {
  if (lines.length > 0) appendFileSync(join(out, 'metrics.jsonl'), lines.map((l) => `${l}\n`).join(''));
}

function metricsSize(out: string): number {
  const file = join(out, 'metrics.jsonl');
  return existsSync(file) ? statSync(file).size : 0;
}

/** metrics.jsonl on disk before a checkpoint that records its length. */
function syncMetrics(out: string): void {
  const file = join(out, 'metrics.jsonl');
  if (existsSync(file)) syncPath(file);
}

/** Back to what it held at a checkpoint: the rows written after it are written again. */
function truncateMetrics(out: string, bytes: number): void {
  const file = join(out, 'metrics.jsonl');
  if (metricsSize(out) < bytes) throw new UserError(`${file} is shorter than its checkpoint recorded (${bytes} bytes): the run directory was changed`);
  if (existsSync(file)) truncateSync(file, bytes);
}

function epochLine(record: EpochRecord, totalSteps: number, improved: boolean): string {
  const parts = [
    `epoch ${record.epoch}`,
    `step ${record.steps}/${totalSteps}`,
    `loss ${format(record.trainLoss)}`,
    `${record.stepsPerSecond.toFixed(1)} steps/s`,
  ];
  if (record.valid) {
    const tasks = Object.entries(record.valid).map(
      ([task, values]) => `${task} ${Object.entries(values).map(([k, v]) => `${k}=${format(v)}`).join(' ')}`,
    );
    parts.push(`valid: ${tasks.join('; ')}${improved ? ' *' : ''}`);
  }
  return parts.join('  ');
}

function format(value: number | null): string {
  return value === null ? '-' : Math.abs(value) >= 1000 ? value.toFixed(0) : value.toPrecision(4);
}

/** A `routing` row of metrics.jsonl per moe layer: its epoch's training passes, as the model's routing log counted them. */
function routingRowsOf(epoch: number, counts: ReadonlyMap<string, RoutingCounts> | undefined): string[] {
  return [...(counts ?? [])].map(([layer, c]) => JSON.stringify({
    kind: 'routing', epoch, layer, passes: c.passes, rows: c.rows, assignments: c.assignments, dropped: c.dropped, routed: c.routed,
    balance_loss: c.passes > 0 ? c.balanceLoss / c.passes : null,
  }));
}

/**
 * Whether a stage's steps run on the fused dense step, and the line that tells the user (once): a network it does not
 * run says why, so a program that falls off the fast path shows where.
 */
function trainingStepKind(model: MtlModel, groups: number, tasks: readonly string[], weights: Readonly<Record<string, number>>, noOpt: readonly string[]): { dense: boolean; line: string } {
  const tfjs = (why: string) => ({ dense: false, line: `training step: tfjs ops (${why})` });
  if (noOpt.includes('fused-dense-step')) return tfjs('--no-opt fused-dense-step');
  // With several groups, each switch of tasks would hand the parameters between the two steps.
  if (groups > 1) return tfjs(`the fused dense step runs one batch group; this stage samples ${groups}`);
  if (!simdSupported()) return tfjs('the fused dense step needs WebAssembly SIMD');
  const plan = denseStepPlan(model, tasks, weights);
  if ('why' in plan) return tfjs(`the fused dense step does not run this network: ${plan.why}`);
  return { dense: true, line: 'training step: fused dense step (WebAssembly SIMD; `--no-opt fused-dense-step` leaves it out)' };
}
