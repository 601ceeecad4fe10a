/** `mtl export` and `mtl predict`: the command-line side of runtime/export/ and runtime/serving/ (loaded on demand). */
import cliProgress from 'cli-progress';
import { selectBackend } from '../runtime/backend.js';
import { exportModel } from '../runtime/export/export.js';
import { loadModel } from '../runtime/serving/load.js';
import { predictFile } from '../runtime/serving/predict-file.js';

export interface ExportFlags {
  out: string;
  force?: boolean;
  name?: string;
  backend?: string;
  mergeLora?: boolean;
}

export async function exportCommand(runDir: string, flags: ExportFlags): Promise<void> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  await useBackend(flags.backend);
  await exportModel(runDir, flags.out, { force: flags.force ?? false, mergeLora: flags.mergeLora ?? false, log, ...(flags.name ? { name: flags.name } : {}) });
}

/** The backend asked for, or the fastest that loads, as `mtl run` and `mtl eval` choose it (so predictions match theirs). */
async function useBackend(request: string | undefined): Promise<void> {
  const backend = await selectBackend(request);
  process.stderr.write(`backend: ${backend.name} (${backend.reason})\n`);
}

export interface PredictFlags {
  out: string;
  tasks?: string;
  keep?: string;
  skipBad?: boolean;
  batchSize?: number;
  backend?: string;
  progress: boolean;
}

const list = (text: string | undefined): string[] | undefined => (text === undefined ? undefined : text.split(',').map((s) => s.trim()).filter((s) => s !== ''));

export async function predictCommand(modelDir: string, data: string, flags: PredictFlags): Promise<void> {
  await useBackend(flags.backend);
  const model = await loadModel(modelDir);
  // A live count on a terminal; nothing in logs and pipes.
  const bar = flags.progress && process.stderr.isTTY ? new cliProgress.SingleBar({ format: 'predict | {value} rows | {speed} rows/s', stream: process.stderr, clearOnComplete: true, fps: 5 }) : null;
  const started = performance.now();
  bar?.start(0, 0, { speed: '-' });
  try {
    const tasks = list(flags.tasks);
    const keep = list(flags.keep);
    const result = await predictFile(model, {
      input: data,
      output: flags.out,
      skipBad: flags.skipBad ?? false,
      onProgress: (rows) => bar?.update(rows, { speed: (rows / Math.max(1e-3, (performance.now() - started) / 1000)).toFixed(0) }),
      ...(tasks ? { tasks } : {}),
      ...(keep ? { keep } : {}),
      ...(flags.batchSize ? { batchSize: flags.batchSize } : {}),
    });
    bar?.stop();
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write(`wrote ${flags.out}: ${result.written} rows${result.rejected > 0 ? `; ${result.rejected} bad rows skipped, written to ${result.rejectedFile}` : ''} (${seconds.toFixed(1)} s)\n`);
  } finally {
    bar?.stop();
    model.dispose();
  }
}
