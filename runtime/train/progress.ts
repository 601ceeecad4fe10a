/**
 * Training progress: a live bar on a terminal, plain lines otherwise (logs, CI, pipes), where a
 * redrawn bar would only be noise.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  startEpoch(epoch: number, steps: number): void;
  step(loss: number): void;
  /** Ends the epoch's bar (if any) and prints its summary line. */
  endEpoch(line: string): void;
  stop(): void;
}

export function makeProgress(options: { bar: boolean; log: (line: string) => void }): Progress {
  if (!options.bar) {
    return { startEpoch: () => {}, step: () => {}, endEpoch: (line) => options.log(line), stop: () => {} };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: 'epoch {epoch} |{bar}| step {value}/{total}  loss {loss}  {speed} steps/s',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = 0;
  let done = 0;
  let running = false;
  let lossSum = 0;
  return {
    startEpoch: (epoch, steps) => {
      started = performance.now();
      done = 0;
      lossSum = 0;
      bar.start(steps, 0, { epoch, loss: '-', speed: '-' });
      running = true;
    },
    step: (loss) => {
      done += 1;
      lossSum += loss;
      const seconds = (performance.now() - started) / 1000;
      bar.update(done, { loss: (lossSum / done).toFixed(4), speed: seconds > 0 ? (done / seconds).toFixed(1) : '-' });
    },
    endEpoch: (line) => {
      if (running) bar.stop();
      running = false;
      options.log(line);
    },
    stop: () => {
      if (running) bar.stop();
      running = false;
    },
  };
}
