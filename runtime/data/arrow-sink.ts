/**
 * Writing Arrow IPC files batch by batch with bounded memory. apache-arrow's writers queue their
 * output without back-pressure, so each `write` here drains the queue to disk before it resolves:
 * at most one record batch's bytes are ever held.
 */
import * as fs from 'node:fs/promises';
import { RecordBatchFileWriter, RecordBatchStreamWriter, type RecordBatch } from 'apache-arrow';

/** apache-arrow keeps the count of bytes it has produced in a protected field; these expose it. */
class CountingFileWriter extends RecordBatchFileWriter {
  get bytesProduced(): number {
    return this._position;
  }
}
class CountingStreamWriter extends RecordBatchStreamWriter {
  get bytesProduced(): number {
    return this._position;
  }
}

export type ArrowLayoutName = 'file' | 'stream';

export class ArrowFileSink {
  private readonly writer: CountingFileWriter | CountingStreamWriter;
  private readonly output: AsyncIterator<Uint8Array>;
  private bytesFlushed = 0;

  private constructor(
    private readonly handle: fs.FileHandle,
    layout: ArrowLayoutName,
  ) {
    this.writer = layout === 'file' ? new CountingFileWriter() : new CountingStreamWriter();
    this.output = this.writer[Symbol.asyncIterator]();
  }

  /** Creates (or truncates) `path`; `layout` 'file' writes the IPC file format (with a footer), 'stream' the stream format. */
  static async create(path: string, layout: ArrowLayoutName = 'file'): Promise<ArrowFileSink> {
    return new ArrowFileSink(await fs.open(path, 'w'), layout);
  }

  /** Appends a record batch; every batch must share the first batch's Schema object. */
  async write(batch: RecordBatch): Promise<void> {
    this.writer.write(batch);
    await this.flush(false);
  }

  /** Writes the footer and closes the file; returns its size in bytes. */
  async close(): Promise<number> {
    try {
      this.writer.close();
      await this.flush(true);
    } finally {
      await this.handle.close();
    }
    return this.bytesFlushed;
  }

  /** Closes the file without finishing it (the caller removes it). */
  async abort(): Promise<void> {
    this.writer.abort();
    await this.handle.close().catch(() => undefined);
  }

  private async flush(untilClosed: boolean): Promise<void> {
    const pending: Uint8Array[] = [];
    let pendingBytes = 0;
    while (untilClosed || this.bytesFlushed + pendingBytes < this.writer.bytesProduced) {
      const next = await this.output.next();
      if (next.done) break;
      pending.push(next.value);
      pendingBytes += next.value.byteLength;
      if (pending.length >= 256) {
        await this.writeChunks(pending, pendingBytes);
        pending.length = 0;
        pendingBytes = 0;
      }
    }
    if (pending.length > 0) await this.writeChunks(pending, pendingBytes);
  }

  private async writeChunks(chunks: Uint8Array[], bytes: number): Promise<void> {
    let written = 0;
    let remaining = chunks;
    while (written < bytes) {
      const { bytesWritten } = await this.handle.writev(remaining);
      written += bytesWritten;
      remaining = dropBytes(remaining, bytesWritten);
    }
    this.bytesFlushed += bytes;
  }
}

/** The chunks left after the first `count` bytes (writev may write less than asked). */
function dropBytes(chunks: Uint8Array[], count: number): Uint8Array[] {
  let i = 0;
  while (i < chunks.length && count >= chunks[i]!.byteLength) count -= chunks[i++]!.byteLength;
  const rest = chunks.slice(i);
  if (count > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(count);
  return rest;
}
