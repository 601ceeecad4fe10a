/**
 * Micro-batching: requests that arrive within `windowMs` of the first one waiting (or until `maxRows` rows wait) run
 * as one pass, so under concurrency the model sees a few large batches instead of many small ones. With `windowMs`
 * 0 each request runs as it comes. TensorFlow.js computes synchronously here (wasm, cpu), so requests that arrive
 * while a pass runs wait in the event loop and form the next batch.
 */
export interface BatchOptions {
  windowMs: number;
  maxRows: number;
}

interface Waiting<T, R> {
  readonly item: T;
  readonly rows: number;
  resolve(result: R): void;
  reject(error: unknown): void;
}

export class MicroBatcher<T, R> {
  private waiting: Waiting<T, R>[] = [];
  private rows = 0;
  private timer: NodeJS.Timeout | null = null;

  /** `run` answers every item of a batch, in order, or throws (then each item of the batch is rejected). */
  constructor(private readonly options: BatchOptions, private readonly run: (items: readonly T[]) => R[]) {}

  submit(item: T, rows: number): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, rows, resolve, reject });
      this.rows += rows;
      if (this.options.windowMs <= 0 || this.rows >= this.options.maxRows) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.windowMs);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.waiting;
    this.waiting = [];
    this.rows = 0;
    if (batch.length === 0) return;
    let results: R[];
    try {
      results = this.run(batch.map((w) => w.item));
    } catch (error) {
      for (const w of batch) w.reject(error);
      return;
    }
    batch.forEach((w, i) => w.resolve(results[i]!));
  }
}
