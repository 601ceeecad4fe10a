/**
 * The inner loops of the embedding bag (embedding-bag.ts) as a small WebAssembly SIMD routine. Forward (`run`), for
 * each output row n, out[n] = init + Σ_{i ∈ [start[n], start[n+1])} weight[i] · table[offset[i] …] (`units` floats
 * each): table is the kernel and a batch row's terms the kernel rows it selects. Backward (`scatter`), its transpose:
 * each batch row of dz, weighted, added to the kernel rows its terms name. Sixteen units at a time in four f32x4
 * registers; float32 sums, in term order. Written as bytes here (no toolchain at build or run time); it needs
 * units % 16 == 0, and the caller falls back to JavaScript otherwise.
 *
 * Exports `run(out, table, init, offset, weight, start, rows, units)` and its transpose `scatter` (same parameters):
 * pointers are byte addresses in the module's own memory (`memory`), offsets are float indices into table (run) or
 * out (scatter).
 */

/** What this file uses of the WebAssembly global (the project's TypeScript libs do not declare it). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
};
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

const I32 = 0x7f;
const V128 = 0x7b;

/** Unsigned and signed LEB128. */
const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
};
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vector = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (text: string): number[] => [...uleb(text.length), ...[...text].map((c) => c.charCodeAt(0))];

// Locals: the 8 parameters, then these.
const [OUT, TABLE, INIT, OFFSET, WEIGHT, START, ROWS, UNITS] = [0, 1, 2, 3, 4, 5, 6, 7];
const [R, U, I, FROM, TO, ADDR, ACC0, WV] = [8, 9, 10, 11, 12, 13, 14, 18];

const get = (l: number) => [0x20, l];
const set = (l: number) => [0x21, l];
const tee = (l: number) => [0x22, l];
const i32 = (n: number) => [0x41, ...sleb(n)];
const ADD = 0x6a, SUB = 0x6b, MUL = 0x6c, SHL = 0x74, GE_U = 0x4f;
const load32 = (offset = 0) => [0x28, 2, ...uleb(offset)];
const loadF32 = [0x2a, 2, 0];
const v128load = (offset: number) => [0xfd, 0x00, 0, ...uleb(offset)];
const v128store = (offset: number) => [0xfd, 0x0b, 0, ...uleb(offset)];
const SPLAT = [0xfd, 0x13];
const F32X4_ADD = [0xfd, ...uleb(0xe4)];
const F32X4_MUL = [0xfd, ...uleb(0xe6)];
const times4 = (l: number) => [...get(l), ...i32(2), SHL];
/** while (a < b) { body }: a block around a loop that leaves when a >= b. */
const whileBelow = (a: number, b: number, body: number[]) => [0x02, 0x40, 0x03, 0x40, ...get(a), ...get(b), GE_U, 0x0d, 1, ...body, 0x0c, 0, 0x0b, 0x0b];
const increment = (l: number, by: number) => [...get(l), ...i32(by), ADD, ...set(l)];

const accumulators = [0, 1, 2, 3];
const code = [
  ...i32(0), ...set(R),
  ...whileBelow(R, ROWS, [
    ...get(START), ...times4(R), ADD, ...tee(ADDR), ...load32(0), ...set(FROM),
    ...get(ADDR), ...load32(4), ...set(TO),
    ...i32(0), ...set(U),
    ...whileBelow(U, UNITS, [
      // accumulators ← init[u … u + 15]
      ...accumulators.flatMap((k) => [...get(INIT), ...times4(U), ADD, ...v128load(16 * k), ...set(ACC0 + k)]),
      ...get(FROM), ...set(I),
      ...whileBelow(I, TO, [
        // ADDR ← table + (offset[i] + u) · 4; WV ← splat(weight[i])
        ...get(TABLE), ...get(OFFSET), ...times4(I), ADD, ...load32(0), ...get(U), ADD, ...i32(2), SHL, ADD, ...set(ADDR),
        ...get(WEIGHT), ...times4(I), ADD, ...loadF32, ...SPLAT, ...set(WV),
        ...accumulators.flatMap((k) => [...get(ACC0 + k), ...get(ADDR), ...v128load(16 * k), ...get(WV), ...F32X4_MUL, ...F32X4_ADD, ...set(ACC0 + k)]),
        ...increment(I, 1),
      ]),
      // out[r · units + u …] ← accumulators
      ...get(OUT), ...get(R), ...get(UNITS), MUL, ...get(U), ADD, ...i32(2), SHL, ADD, ...set(ADDR),
      ...accumulators.flatMap((k) => [...get(ADDR), ...get(ACC0 + k), ...v128store(16 * k)]),
      ...increment(U, 16),
    ]),
    ...increment(R, 1),
  ]),
  0x0b,
];

/**
 * scatter: the transpose, for each row r and each of its terms i, out[offset[i] …] += weight[i] · table[r · units …]
 * (out zeroed by the caller; `init` unused): the kernel's gradient straight from the batch's terms, without regrouping
 * them by kernel row.
 */
const scatterCode = [
  ...i32(0), ...set(R),
  ...whileBelow(R, ROWS, [
    ...get(START), ...times4(R), ADD, ...tee(ADDR), ...load32(0), ...set(I),
    ...get(ADDR), ...load32(4), ...set(TO),
    // FROM ← table + r · units · 4 (the row's dz)
    ...get(TABLE), ...get(R), ...get(UNITS), MUL, ...i32(2), SHL, ADD, ...set(FROM),
    ...whileBelow(I, TO, [
      // ADDR ← out + offset[i] · 4; WV ← splat(weight[i])
      ...get(OUT), ...get(OFFSET), ...times4(I), ADD, ...load32(0), ...i32(2), SHL, ADD, ...set(ADDR),
      ...get(WEIGHT), ...times4(I), ADD, ...loadF32, ...SPLAT, ...set(WV),
      ...i32(0), ...set(U),
      ...whileBelow(U, UNITS, [
        ...accumulators.flatMap((k) => [
          ...get(ADDR), ...get(ADDR), ...v128load(16 * k), ...get(FROM), ...v128load(16 * k), ...get(WV), ...F32X4_MUL, ...F32X4_ADD, ...v128store(16 * k),
        ]),
        ...get(ADDR), ...i32(64), ADD, ...set(ADDR),
        ...get(FROM), ...i32(64), ADD, ...set(FROM),
        ...increment(U, 16),
      ]),
      // back to the row's first unit for the next term
      ...get(FROM), ...get(UNITS), ...i32(2), SHL, SUB, ...set(FROM),
      ...increment(I, 1),
    ]),
    ...increment(R, 1),
  ]),
  0x0b,
];

const locals = vector([[6, I32], [5, V128]]);
const body = [...locals, ...code];
const scatterBody = [...locals, ...scatterCode];
const moduleBytes = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, vector([[0x60, ...vector(Array.from({ length: 8 }, () => [I32])), 0]])),
  ...section(3, vector([[0], [0]])),
  ...section(5, vector([[0, 1]])),
  ...section(7, vector([[...name('run'), 0, 0], [...name('scatter'), 0, 1], [...name('memory'), 2, 0]])),
  ...section(10, vector([[...uleb(body.length), ...body], [...uleb(scatterBody.length), ...scatterBody]])),
]);

type Entry = (out: number, table: number, init: number, offset: number, weight: number, start: number, rows: number, units: number) => void;

interface Routine {
  run: Entry;
  scatter: Entry;
  memory: WasmMemory;
}

let routine: Routine | null | undefined;

/** The compiled routine, or null where WebAssembly SIMD is not available (the caller then sums in JavaScript). */
function compiled(): Routine | null {
  if (routine !== undefined) return routine;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes));
    routine = instance.exports as unknown as Routine;
  } catch {
    routine = null;
  }
  return routine;
}

export interface WeightedRows {
  /** Float indices into `table`, one per term. */
  offset: Int32Array;
  weight: Float32Array;
  /** Row n's terms are start[n] … start[n + 1] - 1. */
  start: Int32Array;
}

/**
 * out [rows, units] with out[n] = init + Σ weight[i] · table[offset[i] …], on the SIMD routine; null when it cannot
 * run (units not a multiple of 16, or no WebAssembly SIMD).
 */
export function weightedRowSums(terms: WeightedRows, table: Float32Array, init: Float32Array, rows: number, units: number): Float32Array | null {
  return call('run', terms, table, init, rows, rows * units, units);
}

/**
 * The transpose of weightedRowSums: out [outRows, units], zero but for out[offset[i] …] += weight[i] · table[r …] for
 * each row r of `table` and each of its terms i; null when the routine cannot run (as weightedRowSums).
 */
export function scatteredRowSums(terms: WeightedRows, table: Float32Array, rows: number, outRows: number, units: number): Float32Array | null {
  return call('scatter', terms, table, new Float32Array(0), rows, outRows * units, units);
}

function call(entry: 'run' | 'scatter', terms: WeightedRows, table: Float32Array, init: Float32Array, rows: number, outFloats: number, units: number): Float32Array | null {
  const wasm = units % 16 === 0 ? compiled() : null;
  if (!wasm) return null;
  const sizes = [outFloats * 4, table.byteLength, init.byteLength, terms.offset.byteLength, terms.weight.byteLength, terms.start.byteLength];
  const needed = sizes.reduce((a, b) => a + b + 16, 0);
  const have = wasm.memory.buffer.byteLength;
  if (needed > have) wasm.memory.grow(Math.ceil((needed - have) / 65536));
  const heap = wasm.memory.buffer;
  let at = 0;
  const place = (bytes: number): number => {
    const address = at;
    at += Math.ceil(bytes / 16) * 16;
    return address;
  };
  const out = place(sizes[0]!);
  const copy = (array: Float32Array | Int32Array): number => {
    const address = place(array.byteLength);
    new Uint8Array(heap, address, array.byteLength).set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    return address;
  };
  const tableAt = copy(table), initAt = copy(init), offsetAt = copy(terms.offset), weightAt = copy(terms.weight), startAt = copy(terms.start);
  if (entry === 'scatter') new Float32Array(heap, out, outFloats).fill(0);
  wasm[entry](out, tableAt, initAt, offsetAt, weightAt, startAt, rows, units);
  return new Float32Array(heap, out, outFloats).slice();
}
