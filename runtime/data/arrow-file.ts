/**
 * Opening Arrow IPC files for streaming. Files are read through a FileHandle, not a read stream:
 * apache-arrow reads an IPC *file* given as a Node stream by buffering the whole stream first
 * (it needs the footer), whereas a FileHandle gives it random access and one record batch at a time.
 * IPC *stream* files are read incrementally either way.
 */
import type { Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import { Message, MessageHeader, RecordBatchReader, type RecordBatch, type RecordBatchStreamReader, type Schema } from 'apache-arrow';
// Not re-exported from the package's root; the same module the reader uses (apache-arrow exports its files).
import { Footer } from 'apache-arrow/ipc/metadata/file';
import { UserError } from '../errors.js';

const FILE_MAGIC = 'ARROW1';

type ArrowLayout = 'file' | 'stream';

/** Why the first bytes of a file rule out Arrow, or which Arrow layout they announce. */
function sniffLayout(head: Uint8Array, bytesRead: number): ArrowLayout | string {
  if (bytesRead === 0) return 'it is empty';
  if (bytesRead >= 6 && String.fromCharCode(...head.subarray(0, 6)) === FILE_MAGIC) return 'file';
  if (bytesRead >= 8 && head[0] === 0xff && head[1] === 0xff && head[2] === 0xff && head[3] === 0xff) return 'stream';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'it is gzip-compressed; if it holds CSV, convert it with `mtl data import`';
  if (head[0] === 0x50 && head[1] === 0x41 && head[2] === 0x52 && head[3] === 0x31) return 'it is a Parquet file; convert it to Arrow IPC';
  const looksLikeText = head.subarray(0, bytesRead).every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b !== 127));
  if (looksLikeText) return 'it looks like text; if it is CSV, convert it with `mtl data import`';
  return 'it does not start with the Arrow magic bytes';
}

function openError(display: string, e: unknown): UserError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new UserError(`${display} does not exist`);
  if (code === 'EISDIR') return new UserError(`${display} is a directory, not an Arrow IPC file`);
  if (code === 'EACCES' || code === 'EPERM') return new UserError(`${display} cannot be read (permission denied)`);
  return new UserError(`${display} cannot be opened (${(e as Error).message})`);
}

function nonRegularKind(stat: Stats): string | null {
  if (stat.isFile()) return null;
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a named pipe (FIFO)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

function changedSizeError(display: string, atOpen: number, now: number): UserError {
  return new UserError(`${display} changed size while being read: it was ${atOpen} bytes at open, is now ${now}; was it overwritten?`);
}

/**
 * The handle the Arrow reader reads through, which stops at a file that shrank while open. The reader takes the size
 * once, at open, and loops until it has read up to it: after the file is truncated in place every read returns 0
 * bytes, and it would spin forever. A read that ends before that size is refused, naming the file and both sizes.
 *
 * With `readAhead`, small reads that go forward through the file (each message's length and header, the reader's
 * order) are served from blocks of READ_BLOCK bytes, the READ_AHEAD blocks after the one being read already being read:
 * a trip through the thread pool per block, not per few bytes. Those trips need the main thread, which the caller's
 * encoding holds; served from memory, the reader gets through a message's header at once and asks for its body, which
 * the disk then reads while the caller encodes. Bodies and other reads (the footer) read what they ask for, straight
 * into the reader's buffer (a copy out of a block would fault in that fresh memory on the main thread).
 */
function sizeCheckedHandle(handle: fs.FileHandle, atOpen: Stats, display: string, readAhead: boolean) {
  const size = atOpen.size;
  const direct = async (buffer: Uint8Array, offset: number, length: number, position: number) => {
    const result = await handle.read(buffer, offset, length, position);
    // A regular file reads short only at its end; a position outside the file is the reader's (corrupt footer).
    const wanted = position >= 0 ? Math.min(length, size - position) : 0;
    if (result.bytesRead < wanted) {
      const now = (await handle.stat()).size;
      if (now !== size) throw changedSizeError(display, size, now);
    }
    return result;
  };
  const readBlock = async (k: number): Promise<Uint8Array> => {
    const start = k * READ_BLOCK;
    const bytes = new Uint8Array(Math.min(READ_BLOCK, size - start));
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await direct(bytes, filled, bytes.length - filled, start + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return bytes.subarray(0, filled);
  };
  const blocks = new Map<number, Promise<Uint8Array>>();
  const block = (k: number): Promise<Uint8Array> => {
    let bytes = blocks.get(k);
    if (!bytes) {
      bytes = readBlock(k);
      bytes.catch(() => undefined); // awaited when the reader gets there; this only keeps an unread block's failure quiet
      blocks.set(k, bytes);
    }
    return bytes;
  };
  let readTo = -1;
  return {
    fd: handle.fd,
    // The size the reader plans with is the one checked against below.
    stat: async () => atOpen,
    close: () => handle.close(),
    async read(buffer: Uint8Array, offset: number, length: number, position: number) {
      const forward = position === readTo || blocks.has(Math.floor(position / READ_BLOCK));
      readTo = position + length;
      if (!readAhead || !forward || length > READ_BLOCK || position < 0 || position >= size) return direct(buffer, offset, length, position);
      const end = Math.min(size, position + length);
      const first = Math.floor(position / READ_BLOCK);
      const last = Math.floor((end - 1) / READ_BLOCK);
      for (const k of blocks.keys()) if (k < first) blocks.delete(k);
      for (let k = first; k <= last + READ_AHEAD && k * READ_BLOCK < size; k++) void block(k);
      let bytesRead = 0;
      for (let k = first; k <= last; k++) {
        const bytes = await block(k);
        const from = Math.max(position, k * READ_BLOCK) - k * READ_BLOCK;
        const to = Math.min(end - k * READ_BLOCK, bytes.length);
        if (to <= from) break;
        buffer.set(bytes.subarray(from, to), offset + bytesRead);
        bytesRead += to - from;
        if (to < Math.min(READ_BLOCK, end - k * READ_BLOCK)) break;
      }
      return { bytesRead, buffer };
    },
  };
}

const READ_BLOCK = 64 << 10;
const READ_AHEAD = 2;

/** An open Arrow file: its schema, known before any batch is read, and its record batches in order. */
export interface ArrowFileReader {
  readonly schema: Schema;
  readonly layout: ArrowLayout;
  /** Streams the record batches; closes the file when done or when the consumer stops early. */
  batches(): AsyncGenerator<RecordBatch>;
  close(): Promise<void>;
}

export interface OpenArrowOptions {
  /** Read message headers from blocks read ahead, and each record batch while the one before is used (the loader's way). */
  readAhead?: boolean;
  /**
   * Read an IPC file's record batches into two buffers used in turn (see reusedBufferBatches), not a fresh one each: a
   * batch's vectors are then overwritten once the consumer has asked for the batch after it, so it must copy what it
   * keeps. An IPC file's footer, or an IPC stream's framing, is then read here rather than by apache-arrow's async
   * reader, so a message whose metadata is garbage is refused as corrupt.
   */
  reuseBuffers?: boolean;
}

/**
 * Opens `absolutePath` (named `display` in messages) as an Arrow IPC file or stream.
 * Throws a UserError if it is missing, unreadable or not Arrow.
 */
export async function openArrowFile(absolutePath: string, display: string, options: OpenArrowOptions = {}): Promise<ArrowFileReader> {
  let handle: fs.FileHandle;
  let atOpen: Stats;
  try {
    // Checked before opening: opening a FIFO blocks until a writer comes, and a directory fails deep in the reader.
    const kind = nonRegularKind(await fs.stat(absolutePath));
    if (kind !== null) throw new UserError(`${display} is ${kind}, not an Arrow IPC file (a dataset's files must be regular files)`);
    handle = await fs.open(absolutePath, 'r');
    atOpen = await handle.stat();
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw openError(display, e);
  }
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close().catch(() => undefined); // the reader may already have closed it
  };
  try {
    const head = new Uint8Array(8);
    const { bytesRead } = await handle.read(head, 0, 8, 0);
    const layout = sniffLayout(head, bytesRead);
    if (layout !== 'file' && layout !== 'stream') throw new UserError(`${display} is not an Arrow IPC file (${layout})`);
    // The loader's reads of an IPC file need only its footer from the Arrow reader, which would also read every
    // dictionary batch through the thread pool a message at a time (census: 4.4 ms of an open); the footer is read here.
    const direct = sizeCheckedHandle(handle, atOpen, display, false);
    const footer = options.reuseBuffers && layout === 'file' ? await readFooter(direct, atOpen.size, display) : null;
    // An IPC stream's messages are framed here, so one whose metadata is garbage is refused (the Arrow reader skips it
    // and ends the stream early, without a word): its schema now, its batches when asked for.
    const stream = options.reuseBuffers && layout === 'stream' ? new StreamMessages(sizeCheckedHandle(handle, atOpen, display, true), atOpen.size, display) : null;
    const streamSchema = stream ? await stream.schema() : null;
    let opened: Awaited<ReturnType<typeof RecordBatchReader.from>> | null = null;
    if (!footer && !stream) {
      try {
        opened = await RecordBatchReader.from(sizeCheckedHandle(handle, atOpen, display, options.readAhead ?? false) as unknown as fs.FileHandle);
        await opened.open({ autoDestroy: true });
      } catch (e) {
        if (e instanceof UserError) throw e;
        // It starts with Arrow's magic bytes, so what fails is its footer or schema: the reader's own message
        // ("Cannot read properties of null") would say nothing to the user.
        throw unreadableSchemaError(display, layout);
      }
    }
    const schema = footer ? footer.schema : streamSchema ? streamSchema.schema : opened!.schema;
    if (!schema) throw new UserError(`${display} is truncated or corrupt (it starts like an Arrow IPC ${layout} but has no schema)`);
    async function* batches(): AsyncGenerator<RecordBatch> {
      if (options.readAhead) {
        // What was read ahead at open may be all there is to read: a file cut since then is caught here.
        const now = (await handle.stat()).size;
        if (now !== atOpen.size) {
          await close();
          throw changedSizeError(display, atOpen.size, now);
        }
      }
      // Taken back when the consumer is done: a read ahead may end the batches before the last one is used.
      const buffers = new ReadBuffers();
      const source = footer
        ? reusedBufferBatches(direct, atOpen.size, footer, schema, display, buffers)
        : streamSchema ? reusedBufferStreamBatches(stream!, streamSchema.frame, direct, display, buffers) : opened![Symbol.asyncIterator]();
      try {
        yield* readingAhead(source, display);
      } finally {
        buffers.release();
        await opened?.cancel().catch(() => undefined);
        await close();
      }
    }
    return { schema, layout, batches, close };
  } catch (e) {
    await close();
    throw e;
  }
}

function unreadableSchemaError(display: string, layout: ArrowLayout): UserError {
  return new UserError(`${display} is truncated or corrupt (it starts like an Arrow IPC ${layout} but its ${layout === 'file' ? 'footer or schema' : 'schema'} cannot be read)`);
}

/** `iterator`'s record batches, the next one read while the consumer works on the current one, so disk reads overlap encoding. */
async function* readingAhead(iterator: AsyncIterator<RecordBatch>, display: string): AsyncGenerator<RecordBatch> {
  const readNext = () => {
    const next = iterator.next();
    next.catch(() => undefined); // awaited below; this only keeps an abandoned read from being "unhandled"
    return next;
  };
  let ahead = readNext();
  try {
    for (;;) {
      let next: IteratorResult<RecordBatch>;
      try {
        next = await ahead;
      } catch (e) {
        if (e instanceof UserError) throw e;
        throw corruptBatchError(display);
      }
      if (next.done) break;
      ahead = readNext();
      yield next.value;
    }
  } finally {
    await ahead.catch(() => undefined);
  }
}

/**
 * An IPC file's footer (its schema and the blocks of its dictionary and record batches), from the end of the file: the
 * magic bytes, the footer's length before them, the footer before that.
 */
async function readFooter(reads: SizedReads, size: number, display: string): Promise<Footer> {
  const unreadable = () => unreadableSchemaError(display, 'file');
  const tail = new Uint8Array(4 + FILE_MAGIC.length);
  // The leading magic bytes and their padding (8), a footer, its length (4) and the magic bytes again.
  if (size < 8 + tail.length) throw unreadable();
  await readExactly(reads, tail, 0, tail.length, size - tail.length, unreadable);
  const length = new DataView(tail.buffer).getInt32(0, true);
  if (String.fromCharCode(...tail.subarray(4)) !== FILE_MAGIC || length <= 0 || length > size - 8 - tail.length) throw unreadable();
  const bytes = new Uint8Array(length);
  await readExactly(reads, bytes, 0, length, size - tail.length - length, unreadable);
  try {
    return Footer.decode(bytes);
  } catch {
    throw unreadable();
  }
}

/** `metadata` framed as an IPC stream message: the continuation marker, its length, itself, padded to 8 bytes. */
function framedMessage(metadata: Uint8Array): Uint8Array {
  const size = (8 + metadata.byteLength + 7) & ~7;
  const framed = new Uint8Array(size);
  const view = new DataView(framed.buffer);
  view.setInt32(0, -1, true);
  view.setInt32(4, size - 8, true);
  framed.set(metadata, 8);
  return framed;
}

function corruptBatchError(display: string): UserError {
  return new UserError(`${display} is truncated or corrupt (a record batch cannot be read)`);
}

/**
 * Whether `message` (a block: prefix, metadata, body) says it is a record batch of the block's body length: garbage
 * metadata can parse as an empty batch.
 */
function isRecordBatchMessage(message: Uint8Array, bodyLength: number): boolean {
  const frame = frameOf(message);
  if (!frame || frame.length <= 0 || frame.metadataAt + frame.length > message.byteLength) return false;
  const decoded = decodeMetadata(message.subarray(frame.metadataAt, frame.metadataAt + frame.length));
  return decoded?.headerType === MessageHeader.RecordBatch && Number(decoded.bodyLength) === bodyLength;
}

/**
 * Where an IPC message's metadata starts in its framing (after the continuation marker and its length, or after the
 * length alone in the pre-1.0 form), and its length (0: the end-of-stream marker); null if `prefix` is too short to say.
 */
function frameOf(prefix: Uint8Array): { metadataAt: number; length: number } | null {
  if (prefix.length < 4) return null;
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  if (view.getInt32(0, true) !== -1) return { metadataAt: 4, length: view.getInt32(0, true) };
  return prefix.length < 8 ? null : { metadataAt: 8, length: view.getInt32(4, true) };
}

/** A message's metadata, decoded; null if it does not decode. */
function decodeMetadata(metadata: Uint8Array): Message | null {
  try {
    return Message.decode(metadata);
  } catch {
    return null;
  }
}

/** Reads through sizeCheckedHandle: a read that a file cut since open ends early says so (changedSizeError). */
type SizedReads = Pick<ReturnType<typeof sizeCheckedHandle>, 'read'>;

/** Reads `length` bytes at `position` into `buffer` at `offset`; a file that ends first is refused with `corrupt()`. */
async function readExactly(reads: SizedReads, buffer: Uint8Array, offset: number, length: number, position: number, corrupt: () => UserError): Promise<void> {
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await reads.read(buffer, offset + filled, length - filled, position + filled);
    if (bytesRead === 0) throw corrupt();
    filled += bytesRead;
  }
}

/** An IPC file's block (from its footer): where a message starts, its metadata's length (framing included), its body's. */
type Block = { offset: number; metaDataLength: number; bodyLength: number };

function blockLength(block: Block): number {
  return block.metaDataLength + block.bodyLength;
}

/**
 * An IPC file's record batches, each read into one of two buffers used in turn rather than into a fresh buffer, as the
 * Arrow reader reads them. Writing fresh memory is most of what a read costs on machines like this one: a 6.4 MB body
 * took a median 15.8 ms into a new buffer and 0.4 ms into one written before (docs/performance.md). A batch's block
 * (its place in the footer) is read into a buffer and handed to apache-arrow's synchronous stream reader, which was
 * fed the file's schema and dictionaries (as IPC stream messages) first; its vectors view the buffer and share the
 * file's dictionaries. While the consumer uses batch k, batch k + 1 is read into the other buffer; batch k + 2
 * overwrites batch k's. The buffers come from, and go back to, a few kept between reads (SPARE_BUFFERS), so the next pass over a file (the first
 * epoch after the fitting pass, each later one that reads the file) writes no fresh memory either.
 */
async function* reusedBufferBatches(reads: SizedReads, size: number, footer: Footer, schema: Schema, display: string, buffers: ReadBuffers): AsyncGenerator<RecordBatch> {
  const corrupt = () => corruptBatchError(display);
  const inFile = (block: Block) => block.offset >= 0 && block.metaDataLength >= 8 && block.bodyLength >= 0 && block.offset + blockLength(block) <= size;
  const dictionaries = [...footer.dictionaryBatches()];
  const blocks = [...footer.recordBatches()];
  if (!dictionaries.every(inFile) || !blocks.every(inFile)) throw corrupt();
  if (blocks.length === 0) return;
  const schemaMessage = framedMessage(Message.encode(Message.from(schema)));
  const prefix = new Uint8Array(schemaMessage.length + dictionaries.reduce((sum, block) => sum + blockLength(block), 0));
  prefix.set(schemaMessage);
  const bufferSize = blocks.reduce((most, block) => Math.max(most, blockLength(block)), 0);
  const inTurn = [buffers.take(bufferSize), blocks.length > 1 ? buffers.take(bufferSize) : null];
  // The first batch is read while the dictionaries are: two trips through the thread pool at once, not one after the other.
  await Promise.all([
    readExactly(reads, inTurn[0]!, 0, blockLength(blocks[0]!), blocks[0]!.offset, corrupt),
    readDictionaries(reads, dictionaries, prefix, schemaMessage.length, corrupt),
  ]);
  const fed = new FedStreamReader(prefix, display);
  for (const [k, block] of blocks.entries()) {
    const length = blockLength(block);
    const buffer = inTurn[k % 2]!;
    if (k > 0) await readExactly(reads, buffer, 0, length, block.offset, corrupt);
    const message = buffer.subarray(0, length);
    if (!isRecordBatchMessage(message, block.bodyLength)) throw corrupt();
    fed.add(message);
    yield fed.batch();
  }
}

/**
 * apache-arrow's synchronous stream reader, fed the messages of one file as they are read: the schema (and a file's
 * dictionaries) once, their vectors shared by every batch, then each record batch (and a stream's dictionary batches)
 * when the next batch is wanted. Each message is a chunk of bytes; the reader's vectors view them.
 */
class FedStreamReader {
  private readonly queue: Uint8Array[];
  private readonly reader: RecordBatchStreamReader;

  constructor(first: Uint8Array, private readonly display: string) {
    this.queue = [first];
    // apache-arrow's byte stream asks for one more chunk after a message's last byte: it gets an empty one. A second
    // ask with nothing given in between is the reader wanting bytes past what was read: the end, so a bad message
    // cannot hang it.
    let emptyAllowed = false;
    const chunks: IterableIterator<Uint8Array> = {
      [Symbol.iterator]: () => chunks,
      next: () => {
        const given = this.queue.shift();
        const value = given ?? (emptyAllowed ? new Uint8Array(0) : undefined);
        emptyAllowed = given !== undefined;
        return value === undefined ? { done: true, value: undefined } : { done: false, value };
      },
    };
    try {
      // From an iterable of bytes that does not start with the file magic, apache-arrow makes a synchronous stream reader.
      this.reader = RecordBatchReader.from(chunks) as RecordBatchStreamReader;
      this.reader.open();
    } catch {
      throw corruptBatchError(display);
    }
  }

  /** A message for the reader to read next. */
  add(message: Uint8Array): void {
    this.queue.push(message);
  }

  /** The record batch of the messages added: all of them read, the last a record batch. */
  batch(): RecordBatch {
    let batch: RecordBatch | undefined;
    try {
      const next = this.reader.next();
      batch = next.done ? undefined : next.value;
    } catch {
      throw corruptBatchError(this.display);
    }
    if (!batch || this.queue.length > 0) throw corruptBatchError(this.display);
    return batch;
  }
}

/** One message of an IPC stream: its framing and metadata (`frame`), what it is, and where its body lies. */
interface StreamMessage {
  frame: Uint8Array;
  message: Message;
  bodyAt: number;
  bodyLength: number;
}

/**
 * An IPC stream's messages, framed and checked here: a continuation marker (or none, the pre-1.0 form) and the
 * metadata's length, the metadata, then the body whose length it gives. Metadata that does not decode, a length past
 * the file and a message that is no schema, dictionary or record batch are refused as corrupt; the end of the stream is
 * its end-of-stream marker or the end of the file at a message's start.
 */
class StreamMessages {
  private at = 0;

  constructor(
    /** Small forward reads, served from blocks read ahead (sizeCheckedHandle). */
    private readonly headers: SizedReads,
    readonly size: number,
    private readonly display: string,
  ) {}

  /** The first message, which must be the schema. */
  async schema(): Promise<{ schema: Schema; frame: Uint8Array }> {
    const unreadable = () => unreadableSchemaError(this.display, 'stream');
    const first = await this.next(unreadable);
    if (!first || !first.message.isSchema() || first.bodyLength !== 0) throw unreadable();
    return { schema: first.message.header(), frame: first.frame };
  }

  /** The next message's framing and metadata (its body is left to be read), or null at the end of the stream. */
  async next(corrupt = () => corruptBatchError(this.display)): Promise<StreamMessage | null> {
    const start = this.at;
    if (start === this.size) return null;
    const prefix = new Uint8Array(Math.min(8, this.size - start));
    await readExactly(this.headers, prefix, 0, prefix.length, start, corrupt);
    const framing = frameOf(prefix);
    if (!framing) throw corrupt();
    if (framing.length === 0) return null;
    const metadataAt = start + framing.metadataAt;
    if (framing.length < 0 || metadataAt + framing.length > this.size) throw corrupt();
    const frame = new Uint8Array(framing.metadataAt + framing.length);
    frame.set(prefix.subarray(0, framing.metadataAt));
    await readExactly(this.headers, frame, framing.metadataAt, framing.length, metadataAt, corrupt);
    const message = decodeMetadata(frame.subarray(framing.metadataAt));
    const known = message?.headerType === MessageHeader.Schema || message?.headerType === MessageHeader.RecordBatch || message?.headerType === MessageHeader.DictionaryBatch;
    const bodyLength = Number(message?.bodyLength);
    const bodyAt = metadataAt + framing.length;
    if (!message || !known || !(bodyLength >= 0) || bodyAt + bodyLength > this.size) throw corrupt();
    this.at = bodyAt + bodyLength;
    return { frame, message, bodyAt, bodyLength };
  }
}

/**
 * An IPC stream's record batches, each read into one of two buffers used in turn, as reusedBufferBatches reads a
 * file's. Dictionary batches are read into memory of their own: later batches' vectors go on viewing them.
 */
async function* reusedBufferStreamBatches(messages: StreamMessages, schemaFrame: Uint8Array, reads: SizedReads, display: string, buffers: ReadBuffers): AsyncGenerator<RecordBatch> {
  const fed = new FedStreamReader(schemaFrame, display);
  const inTurn: Uint8Array[] = [];
  let k = 0;
  for (;;) {
    const next = await messages.next();
    if (next === null) return;
    const { frame, message, bodyAt, bodyLength } = next;
    const length = frame.length + bodyLength;
    let bytes: Uint8Array;
    if (message.isRecordBatch()) {
      let buffer = inTurn[k % 2];
      if (!buffer || buffer.length < length) buffer = inTurn[k % 2] = buffers.take(length);
      bytes = buffer.subarray(0, length);
    } else if (message.isDictionaryBatch()) bytes = new Uint8Array(length);
    else throw corruptBatchError(display);
    bytes.set(frame);
    await readExactly(reads, bytes, frame.length, bodyLength, bodyAt, () => corruptBatchError(display));
    fed.add(bytes);
    if (!message.isRecordBatch()) continue;
    k++;
    yield fed.batch();
  }
}

/**
 * Reads the dictionary batches' blocks into `prefix` from `at`, one after another, with one read per run of blocks that
 * follow each other in the file: writers put them together before the record batches, so that is one trip through the
 * thread pool, not one per dictionary (census: 34).
 */
async function readDictionaries(reads: SizedReads, blocks: readonly Block[], prefix: Uint8Array, at: number, corrupt: () => UserError): Promise<void> {
  for (let first = 0; first < blocks.length; ) {
    let end = blocks[first]!.offset + blockLength(blocks[first]!);
    let next = first + 1;
    while (next < blocks.length && blocks[next]!.offset === end) end += blockLength(blocks[next++]!);
    await readExactly(reads, prefix, at, end - blocks[first]!.offset, blocks[first]!.offset, corrupt);
    at += end - blocks[first]!.offset;
    first = next;
  }
}

/** Buffers given back by finished reads, for the next reads to take: at most this many, of at most SPARE_BYTES each. */
const SPARE_BUFFERS = 4;
const SPARE_BYTES = 64 * 2 ** 20;
const spareBuffers: Uint8Array[] = [];

/** The buffers one read takes, all given back at once when it is done. */
class ReadBuffers {
  private readonly taken: Uint8Array[] = [];

  /** A buffer of at least `size` bytes: the smallest spare that is large enough, or a new one. */
  take(size: number): Uint8Array {
    let best = -1;
    spareBuffers.forEach((spare, i) => {
      if (spare.length >= size && (best < 0 || spare.length < spareBuffers[best]!.length)) best = i;
    });
    const buffer = best >= 0 ? spareBuffers.splice(best, 1)[0]! : new Uint8Array(size);
    this.taken.push(buffer);
    return buffer.length === size ? buffer : buffer.subarray(0, size);
  }

  release(): void {
    for (const buffer of this.taken.splice(0)) {
      const whole = new Uint8Array(buffer.buffer);
      if (whole.length > SPARE_BYTES) continue;
      spareBuffers.push(whole);
      // The largest are kept: a smaller read fits in them.
      spareBuffers.sort((a, b) => b.length - a.length).splice(SPARE_BUFFERS);
    }
  }
}
