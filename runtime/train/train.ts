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
 * `log_variance`; the weightings whose entry says `logsWeights`).
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { onRepresentation, type Job } from '../../job/job.js';
import type { JobData } from '../data/api.js';
import { UserError } from '../errors.js';
import { buildModel } from '../model/build.js';
import { assertRunnable } from '../model/support.js';
import type { MtlModel, Param } from '../model/types.js';
import { Random } from '../random.js';
import { RestartingBatches } from './batches.js';
import { evaluate, type SplitScores } from './evaluate.js';
import { makeOptimizer } from './optimizer.js';
import { makeProgress } from './progress.js';
import { groupSampler } from './sampling.js';
import { learningRate } from './schedule.js';
import { ConflictTally, type ConflictSummary } from './conflicts.js';
import { BestWeights, describeSelection, type ParetoEpoch } from './selection.js';
import { planStages } from './stages.js';
import { makeTrainStep } from './step.js';
import { logsWeights, makeWeighting } from './weightings/index.js';

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
  const { training } = job;
  // A model given by the caller skips buildModel's check: what the runtime cannot run fails before anything trains.
  assertRunnable(job);
  const stages = planStages(job, data.fitted);
  const totalSteps = stages.reduce((sum, s) => sum + s.steps, 0);
  const model = options.model ?? buildModel(job, (w) => data.width(w), training.seed);
  const weighting = makeWeighting(job);
  const optimizer = makeOptimizer(training.optimizer, taskLrMultiplier(job));
  const best = new BestWeights(training.selection, model.params);
  const progress = makeProgress({ bar: options.progress !== false && process.stderr.isTTY === true, log });
  const random = new Random(training.seed).fork('training');
  const schedule = training.optimizer.lr;

  const streams = new Map<string, RestartingBatches>();
  const streamOf = (dataset: string, input: string) => {
    const key = `${dataset}\u0000${input}`;
    let stream = streams.get(key);
    if (!stream) {
      const shuffleRandom = random.fork(`shuffle/${key}`);
      stream = new RestartingBatches(data, dataset, training.batchSize, (pass) => shuffleRandom.fork(String(pass)).int(2 ** 31 - 1));
      streams.set(key, stream);
    }
    return stream;
  };

  const history: EpochRecord[] = [];
  const tally = new ConflictTally();
  // On the shared representation the sampled cosines are of the representation's gradients: the rows say so.
  const conflictsOf = onRepresentation(training.aggregation) ? { gradients: 'representation' } : {};
  let conflictRows: string[] = [];
  const logged = logsWeights(training.weighting);
  let lastWeights: WeightsRecord | null = null;
  let step = 0;
  let epoch = 0;
  let stoppedEarly = false;
  try {
    for (const stage of stages) {
      best.resetPatience();
      const sampleGroup = groupSampler(stage.groups, training.sampling, stage.rowsPerTask, (() => {
        const r = random.fork(`sampling/${stage.index}`);
        return () => r.next();
      })());
      const groupStreams = stage.groups.map((g) => streamOf(g.dataset, g.input));
      const taskLoss = new Map<string, { sum: number; steps: number }>();
      const trainStep = makeTrainStep(model, optimizer, {
        tasks: stage.plan.tasks,
        frozen: stage.plan.frozen,
        weighting,
        learningRate: (s) => learningRate(schedule, s, totalSteps),
        firstStep: step,
        conflictsEvery: training.conflictsEvery,
        onConflicts: (at, conflicts) => {
          tally.add(conflicts);
          for (const { tasks, cosine } of conflicts) conflictRows.push(JSON.stringify({ kind: 'conflict', step: at, epoch, tasks, cosine, ...conflictsOf }));
        },
        onTaskLosses: (losses) => {
          for (const [task, loss] of Object.entries(losses)) {
            const entry = taskLoss.get(task) ?? { sum: 0, steps: 0 };
            entry.sum += loss;
            entry.steps += 1;
            taskLoss.set(task, entry);
          }
        },
      });
      const stageEnd = step + stage.steps;
      for (let stageEpoch = 0; stageEpoch < stage.epochs && step < stageEnd; stageEpoch++) {
        epoch += 1;
        taskLoss.clear();
        const epochSteps = Math.min(stage.stepsPerEpoch, stageEnd - step);
        const epochStarted = performance.now();
        progress.startEpoch(epoch, epochSteps);
        let lossSum = 0;
        for (let i = 0; i < epochSteps; i++) {
          const group = sampleGroup(step);
          const loss = trainStep(await groupStreams[group]!.next(), stage.groups[group]!.tasks);
          if (!Number.isFinite(loss)) {
            throw new UserError(`training diverged at step ${step + 1} (loss ${loss}); try a lower learning rate`);
          }
          lossSum += loss;
          step += 1;
          progress.step(loss);
        }
        const seconds = (performance.now() - epochStarted) / 1000;
        const taskTrainLoss = Object.fromEntries([...taskLoss].map(([t, e]) => [t, e.sum / e.steps]));
        weighting.endEpoch(taskTrainLoss);
        // The weights as the epoch leaves them: what the next epoch starts with.
        const weights = logged ? { epoch, weights: weighting.current(), learned: weighting.learned?.() ?? {} } : null;
        if (weights) lastWeights = weights;
        if (options.out) {
          const trainRows = job.tasks.filter((t) => t.name in taskTrainLoss).map(({ name }) => JSON.stringify({ kind: 'train', epoch, task: name, loss: taskTrainLoss[name] }));
          const weightRows = weights ? [JSON.stringify({ kind: 'weights', epoch, weights: weights.weights, ...weights.learned })] : [];
          appendLines(options.out, [...conflictRows, ...trainRows, ...weightRows]);
        }
        conflictRows = [];
        // Every stage's end is evaluated too: the next stage changes what trains, and the run's end needs a score.
        const evaluated = epoch % Math.max(1, training.evalEvery) === 0 || step >= stageEnd;
        const valid = evaluated ? await evaluate(model, data, 'valid') : null;
        const record: EpochRecord = {
          epoch,
          stage: stage.index + 1,
          steps: step,
          trainLoss: lossSum / epochSteps,
          taskTrainLoss,
          valid,
          learningRate: learningRate(schedule, Math.max(0, step - 1), totalSteps),
          stepsPerSecond: seconds > 0 ? epochSteps / seconds : 0,
          trainSeconds: seconds,
        };
        history.push(record);
        if (options.out && valid) appendMetrics(options.out, epoch, valid);
        const improved = valid ? best.offer(epoch, valid) : false;
        progress.endEpoch(epochLine(record, totalSteps, improved));
        options.onEpoch?.(record);
        if (valid && best.exhausted()) {
          stoppedEarly = true;
          const where = stages.length > 1 ? ` (stage ${stage.index + 1})` : '';
          log(`early stop${where}: no improvement of ${describeSelection(training.selection)} in ${training.selection.patience} evaluations`);
          break;
        }
      }
    }
    if (best.restore()) log(`restored the weights of epoch ${best.best.epoch} (${describeSelection(training.selection)} ${format(best.best.score)})`);
  } catch (error) {
    if (!options.model) model.dispose();
    throw error;
  } finally {
    progress.stop();
    for (const stream of streams.values()) await stream.close();
    optimizer.dispose();
    weighting.dispose();
  }
  return { model, history, best: best.best, paretoEpochs: best.pareto(), steps: step, stoppedEarly, seconds: (performance.now() - started) / 1000, conflicts: tally.summary(), taskWeights: lastWeights };
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
        return undefined;
    }
  };
  return (param) => {
    const task = taskOf(param);
    return task === undefined ? 1 : (job.training.taskLr[task] ?? 1);
  };
}

function appendMetrics(out: string, epoch: number, scores: SplitScores): void {
  appendLines(out, Object.entries(scores).map(([task, values]) => JSON.stringify({ epoch, split: 'valid', task, ...values })));
}

function appendLines(out: string, lines: readonly string[]): void {
  if (lines.length > 0) appendFileSync(join(out, 'metrics.jsonl'), lines.map((l) => `${l}\n`).join(''));
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
