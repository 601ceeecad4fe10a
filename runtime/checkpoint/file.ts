/**
 * One checkpoint is one file, written atomically: to a temporary name beside it, fsynced, renamed over its final
 * name, then the directory fsynced, so after a crash at any moment the file is either absent or whole.
 *
 * Layout: the 8 bytes `MTLCKPT1`, the header's length (uint32, little-endian), the header (UTF-8 JSON), then the float32
 * arrays back to back. The header holds the state with each array replaced by `{"$f32": i}` (its index; offsets follow
 * from the lengths) and each non-finite number by `{"$num": "NaN"}`, and the SHA-256 of everything after it, which
 * `readCheckpoint` checks: a damaged file is refused, never half-read.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StateValue } from './state.js';

const MAGIC = Buffer.from('MTLCKPT1', 'latin1');

export interface CheckpointFile {
  /** Which format version wrote it. */
  readonly format: 1;
  readonly state: StateValue;
}

/** Pauses inside a write, for tests that kill a process there (between the two halves of the temporary file). */
export type WriteHook = (temporary: string) => void;

/** Encodes `state` and writes it to `path` atomically; returns the bytes written. */
export function writeCheckpoint(path: string, state: StateValue, midWrite?: WriteHook): number {
  const arrays: Float32Array[] = [];
  const encoded = JSON.stringify(state, (_key, value: unknown) => {
    if (value instanceof Float32Array) return { $f32: arrays.push(value) - 1 };
    if (typeof value === 'number' && !Number.isFinite(value)) return { $num: String(value) };
    return value;
  });
  const body = Buffer.concat(arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)));
  const header = Buffer.from(JSON.stringify({ format: 1, lengths: arrays.map((a) => a.length), sha256: sha256(body), state: encoded }), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  const bytes = Buffer.concat([MAGIC, length, header, body]);
  writeAtomically(path, bytes, midWrite);
  return bytes.length;
}

/** Reads a checkpoint back; throws (with the reason) on a file that is not a whole checkpoint. */
export function readCheckpoint(path: string): CheckpointFile {
  const bytes = readFileSync(path);
  if (bytes.length < 12 || !bytes.subarray(0, 8).equals(MAGIC)) throw new Error(`${path} is not an mtl checkpoint`);
  const headerLength = bytes.readUInt32LE(8);
  if (12 + headerLength > bytes.length) throw new Error(`${path} is cut short (its header needs ${headerLength} bytes)`);
  const header = JSON.parse(bytes.subarray(12, 12 + headerLength).toString('utf8')) as { format: number; lengths: number[]; sha256: string; state: string };
  if (header.format !== 1) throw new Error(`${path} has checkpoint format ${header.format}; this mtl reads format 1`);
  const body = bytes.subarray(12 + headerLength);
  if (sha256(body) !== header.sha256) throw new Error(`${path} is damaged (its checksum does not match)`);
  // Copied out, so every array is aligned and owns its memory.
  const arrays: Float32Array[] = [];
  let offset = 0;
  for (const n of header.lengths) {
    arrays.push(new Float32Array(new Uint8Array(body.subarray(offset, offset + 4 * n)).buffer));
    offset += 4 * n;
  }
  const state = JSON.parse(header.state, (_key, value: unknown) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const tagged = value as { $f32?: number; $num?: string };
      if (typeof tagged.$f32 === 'number') return arrays[tagged.$f32];
      if (typeof tagged.$num === 'string') return Number(tagged.$num);
    }
    return value;
  }) as StateValue;
  return { format: 1, state };
}

/** write → fsync → rename → fsync of the directory. */
export function writeAtomically(path: string, bytes: Uint8Array, midWrite?: WriteHook): void {
  const temporary = `${path}.tmp-${process.pid}`;
  const fd = openSync(temporary, 'w');
  try {
    const half = midWrite ? Math.floor(bytes.length / 2) : bytes.length;
    writeAll(fd, bytes.subarray(0, half));
    midWrite?.(temporary);
    writeAll(fd, bytes.subarray(half));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  syncPath(dirname(path));
}

/** Makes a file's contents, or a directory's entries (a rename, a new file), durable. */
export function syncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
