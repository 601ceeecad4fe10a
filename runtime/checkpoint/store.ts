/**
 * A run's checkpoints: `checkpoints/step-<step>.ckpt` (every `every` steps) and `checkpoints/step-<step>-epoch-<epoch>.ckpt`
 * (at an epoch's end) in the run directory. After each write the oldest are removed, keeping the last `keep` and the
 * one written at the end of the best epoch so far (the selection's), so a run can go back to its best state. A
 * resume takes the newest checkpoint that reads back whole; temporary files of an interrupted write are ignored and
 * removed.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readCheckpoint, writeCheckpoint, type CheckpointFile, type WriteHook } from './file.js';
import type { StateValue } from './state.js';

export const CHECKPOINT_DIR = 'checkpoints';

export interface CheckpointName {
  readonly file: string;
  readonly step: number;
  /** The epoch it ends, for a checkpoint written at an epoch's end. */
  readonly epoch: number | null;
}

const NAME = /^step-(\d+)(?:-epoch-(\d+))?\.ckpt$/;

/** The checkpoints in a run directory, oldest first (by step; at one step the epoch's end last). */
export function listCheckpoints(runDir: string): CheckpointName[] {
  const directory = join(runDir, CHECKPOINT_DIR);
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .flatMap((file) => {
      const m = NAME.exec(file);
      return m ? [{ file: join(directory, file), step: Number(m[1]), epoch: m[2] === undefined ? null : Number(m[2]) }] : [];
    })
    .sort((a, b) => a.step - b.step || (a.epoch === null ? 0 : 1) - (b.epoch === null ? 0 : 1));
}

/** The newest checkpoint that reads back whole, and what was wrong with newer ones; null when there is none. */
export function latestCheckpoint(runDir: string): { name: CheckpointName; checkpoint: CheckpointFile; skipped: string[] } | null {
  const skipped: string[] = [];
  for (const name of listCheckpoints(runDir).reverse()) {
    try {
      return { name, checkpoint: readCheckpoint(name.file), skipped };
    } catch (e) {
      skipped.push((e as Error).message);
    }
  }
  return null;
}

export interface CheckpointWriter {
  /** Writes the state of step `step` (at the end of `epoch` when given); returns its size and how long writing took. */
  write(state: StateValue, step: number, epoch: number | null, bestEpoch: number | null): { file: string; bytes: number; seconds: number };
}

export function checkpointWriter(runDir: string, keep: number, midWrite?: WriteHook): CheckpointWriter {
  const directory = join(runDir, CHECKPOINT_DIR);
  mkdirSync(directory, { recursive: true });
  // What an interrupted write left behind is never read; it goes.
  for (const file of readdirSync(directory)) if (file.includes('.tmp-')) rmSync(join(directory, file), { force: true });
  return {
    write(state, step, epoch, bestEpoch) {
      const started = performance.now();
      const file = join(directory, `step-${String(step).padStart(9, '0')}${epoch === null ? '' : `-epoch-${epoch}`}.ckpt`);
      const bytes = writeCheckpoint(file, state, midWrite);
      const all = listCheckpoints(runDir);
      const kept = new Set(all.slice(-Math.max(1, keep)).map((c) => c.file));
      const best = all.filter((c) => c.epoch !== null && c.epoch === bestEpoch).pop();
      if (best) kept.add(best.file);
      for (const c of all) if (!kept.has(c.file)) rmSync(c.file, { force: true });
      return { file, bytes, seconds: (performance.now() - started) / 1000 };
    },
  };
}
