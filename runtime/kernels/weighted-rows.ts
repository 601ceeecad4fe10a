/**
 * Small WebAssembly SIMD routines, written as bytes here (no toolchain at build or run time).
 *
 * The inner loops of the embedding bag (embedding-bag.ts) and of the fused dense step (train/dense-step.ts): forward
 * (`run`), for each output row n, out[n] = init + Σ_{i ∈ [start[n], start[n+1])} weight[i] · table[offset[i] …]
 * (`units` floats each): table is a kernel and a row's terms the kernel rows it selects (or, for a dense input, its
 * non-zero values). Backward (`scatter`), its transpose: each row of dz, weighted, added to the kernel rows its terms
 * name. Sixteen units at a time in four f32x4 registers (`run`, `scatter`: units % 16 == 0) or four in one (`run4`,
 * `scatter4`: units % 4 == 0); float32 sums, in term order; the caller falls back to JavaScript for other widths.
 * `adam` is one Adam update over a block of floats, four at a time.
 *
 * Pointers are byte addresses in the instance's own memory (`memory`), offsets float indices into table (run) or out
 * (scatter).
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
const F32 = 0x7d;

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

/** acc_k ← acc_k + table[addr + 16k] · wv for each of `lanes` accumulators from local acc0. */
const multiplyAdd = (acc0: number, addr: number, wv: number, lanes: number) =>
  Array.from({ length: lanes }, (_, k) => [...get(acc0 + k), ...get(addr), ...v128load(16 * k), ...get(wv), ...F32X4_MUL, ...F32X4_ADD, ...set(acc0 + k)]).flat();
/** acc_k ← init[u + 4k …]. */
const loadInit = (u: number, acc0: number, lanes: number) => Array.from({ length: lanes }, (_, k) => [...get(INIT), ...times4(u), ADD, ...v128load(16 * k), ...set(acc0 + k)]).flat();
/** out[addr + 16k] ← acc_k. */
const storeAccumulators = (addr: number, acc0: number, lanes: number) => Array.from({ length: lanes }, (_, k) => [...get(addr), ...get(acc0 + k), ...v128store(16 * k)]).flat();
/** out[addr + 16k] ← out[addr + 16k] + from[16k] · wv. */
const addScaled = (addr: number, from: number, wv: number, lanes: number) =>
  Array.from({ length: lanes }, (_, k) => [...get(addr), ...get(addr), ...v128load(16 * k), ...get(from), ...v128load(16 * k), ...get(wv), ...F32X4_MUL, ...F32X4_ADD, ...v128store(16 * k)]).flat();

/**
 * run over `lanes` f32x4 accumulators: 4 · lanes units per pass (16 with 4 lanes, 4 with 1, for narrow layers).
 * For each row r and units u … u + 4·lanes − 1: out[r, u …] = init[u …] + Σ_i weight[i] · table[offset[i] + u …].
 */
const runCode = (lanes: number): number[] => {
  return [
    ...i32(0), ...set(R),
    ...whileBelow(R, ROWS, [
      ...get(START), ...times4(R), ADD, ...tee(ADDR), ...load32(0), ...set(FROM),
      ...get(ADDR), ...load32(4), ...set(TO),
      ...i32(0), ...set(U),
      ...whileBelow(U, UNITS, [
        // accumulators ← init[u … u + 4·lanes − 1]
        ...loadInit(U, ACC0, lanes),
        ...get(FROM), ...set(I),
        ...whileBelow(I, TO, [
          // ADDR ← table + (offset[i] + u) · 4; WV ← splat(weight[i])
          ...get(TABLE), ...get(OFFSET), ...times4(I), ADD, ...load32(0), ...get(U), ADD, ...i32(2), SHL, ADD, ...set(ADDR),
          ...get(WEIGHT), ...times4(I), ADD, ...loadF32, ...SPLAT, ...set(WV),
          ...multiplyAdd(ACC0, ADDR, WV, lanes),
          ...increment(I, 1),
        ]),
        // out[r · units + u …] ← accumulators
        ...get(OUT), ...get(R), ...get(UNITS), MUL, ...get(U), ADD, ...i32(2), SHL, ADD, ...set(ADDR),
        ...storeAccumulators(ADDR, ACC0, lanes),
        ...increment(U, 4 * lanes),
      ]),
      ...increment(R, 1),
    ]),
    0x0b,
  ];
};

/**
 * scatter: the transpose, for each row r and each of its terms i, out[offset[i] …] += weight[i] · table[r · units …]
 * (out zeroed by the caller; `init` unused): the kernel's gradient straight from the batch's terms, without regrouping
 * them by kernel row.
 */
const scatterCode = (lanes: number): number[] => {
  return [
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
          ...addScaled(ADDR, FROM, WV, lanes),
          ...get(ADDR), ...i32(16 * lanes), ADD, ...set(ADDR),
          ...get(FROM), ...i32(16 * lanes), ADD, ...set(FROM),
          ...increment(U, 4 * lanes),
        ]),
        // back to the row's first unit for the next term
        ...get(FROM), ...get(UNITS), ...i32(2), SHL, SUB, ...set(FROM),
        ...increment(I, 1),
      ]),
      ...increment(R, 1),
    ]),
    0x0b,
  ];
};

/**
 * adam(param, gradient, first, second, count, β₁, 1 − β₁, β₂, 1 − β₂, α, ε̂, decay): one Adam update of `count` floats
 * (a multiple of 4), four at a time, each operation the unfused optimizer's (train/optimizer.ts) in its order, so
 * float32 results bit for bit: m ← m·β₁ + g·(1 − β₁); v ← v·β₂ + g²·(1 − β₂); θ ← θ·decay − m / (√v + ε̂) · α.
 * Without weight decay the caller passes decay 1 (θ·1 is θ exactly).
 */
const [P, G, M, V, COUNT] = [0, 1, 2, 3, 4];
const SCALARS = 5; // β₁, 1 − β₁, β₂, 1 − β₂, α, ε̂, decay: f32 parameters 5 … 11
const [AI] = [12]; // locals after the parameters: i (i32), then v128s
const [SB1, SOMB1, SB2, SOMB2, SALPHA, SEPS, SDECAY, GV, MV, VV] = [13, 14, 15, 16, 17, 18, 19, 20, 21, 22];
const F32X4_SUB = [0xfd, ...uleb(0xe5)];
const F32X4_DIV = [0xfd, ...uleb(0xe7)];
const F32X4_SQRT = [0xfd, ...uleb(0xe3)];
const at4 = (base: number) => [...get(base), ...get(AI), ...i32(2), SHL, ADD];
const adamCode = [
  ...[SB1, SOMB1, SB2, SOMB2, SALPHA, SEPS, SDECAY].flatMap((l, k) => [...get(SCALARS + k), ...SPLAT, ...set(l)]),
  ...i32(0), ...set(AI),
  ...whileBelow(AI, COUNT, [
    ...at4(G), ...v128load(0), ...set(GV),
    // m ← m·β₁ + g·(1 − β₁)
    ...at4(M), ...at4(M), ...v128load(0), ...get(SB1), ...F32X4_MUL, ...get(GV), ...get(SOMB1), ...F32X4_MUL, ...F32X4_ADD, ...tee(MV), ...v128store(0),
    // v ← v·β₂ + (g·g)·(1 − β₂)
    ...at4(V), ...at4(V), ...v128load(0), ...get(SB2), ...F32X4_MUL, ...get(GV), ...get(GV), ...F32X4_MUL, ...get(SOMB2), ...F32X4_MUL, ...F32X4_ADD, ...tee(VV), ...v128store(0),
    // θ ← θ·decay − (m / (√v + ε̂))·α
    ...at4(P), ...at4(P), ...v128load(0), ...get(SDECAY), ...F32X4_MUL,
    ...get(MV), ...get(VV), ...F32X4_SQRT, ...get(SEPS), ...F32X4_ADD, ...F32X4_DIV, ...get(SALPHA), ...F32X4_MUL, ...F32X4_SUB, ...v128store(0),
    ...increment(AI, 4),
  ]),
  0x0b,
];

// ---------------------------------------------------------------- dense inputs, elementwise

/*
 * Over a dense [rows, k] input x (row-major), the same sums with the terms implicit: term i of row r is x[r, i] on
 * table row i, and a zero x[r, i] is skipped (after a ReLU most are zero). Parameters (8 i32, unused ones 0):
 *   runDense(out, table, init, x, rows, k, units):  out[r] = init + Σ_{i: x[r,i] ≠ 0} x[r, i] · table[i]
 *   scatterDense(out, table, -, x, rows, k, units): out[i] += x[r, i] · table[r] for every r, i with x[r, i] ≠ 0
 *   relu(x, n): x ← max(x, 0);  reluGradient(dy, y, n): dy ← y > 0 ? dy : 0;  addInto(out, x, n): out ← out + x
 *   columnSums(out, x, rows, units): out[u] = Σ_r x[r, u]
 * n and units multiples of 4.
 */
const [DX, DROWS, DK, DUNITS] = [3, 4, 5, 6];
const [DR, DU, DI, DROW, DADDR, DFROM, DW] = [8, 9, 10, 11, 12, 13, 14];
const DACC = 15; // v128 accumulators 15 …, then the weight vector
const denseLocals = vector([[6, I32], [1, F32], [6, V128]]);
const F32_NE = 0x5c;
const f32const0 = [0x43, 0, 0, 0, 0];
const ifTrue = (body: number[]) => [0x04, 0x40, ...body, 0x0b];
const loadF32At = (offset = 0) => [0x2a, 2, ...uleb(offset)];

const runDenseCode = (lanes: number): number[] => {
  const WVEC = DACC + lanes;
  return [
    ...i32(0), ...set(DR),
    ...whileBelow(DR, DROWS, [
      // DROW ← x + r · k · 4
      ...get(DX), ...get(DR), ...get(DK), MUL, ...i32(2), SHL, ADD, ...set(DROW),
      ...i32(0), ...set(DU),
      ...whileBelow(DU, DUNITS, [
        ...loadInit(DU, DACC, lanes),
        // DADDR ← table + u · 4: row 0, column u
        ...get(TABLE), ...times4(DU), ADD, ...set(DADDR),
        ...i32(0), ...set(DI),
        ...whileBelow(DI, DK, [
          ...get(DROW), ...times4(DI), ADD, ...loadF32At(0), ...tee(DW), ...f32const0, F32_NE,
          ...ifTrue([
            ...get(DW), ...SPLAT, ...set(WVEC),
            ...multiplyAdd(DACC, DADDR, WVEC, lanes),
          ]),
          ...get(DADDR), ...times4(DUNITS), ADD, ...set(DADDR),
          ...increment(DI, 1),
        ]),
        ...get(OUT), ...get(DR), ...get(DUNITS), MUL, ...get(DU), ADD, ...i32(2), SHL, ADD, ...set(DADDR),
        ...storeAccumulators(DADDR, DACC, lanes),
        ...increment(DU, 4 * lanes),
      ]),
      ...increment(DR, 1),
    ]),
    0x0b,
  ];
};

const scatterDenseCode = (lanes: number): number[] => {
  const WVEC = DACC + lanes;
  return [
    ...i32(0), ...set(DR),
    ...whileBelow(DR, DROWS, [
      ...get(DX), ...get(DR), ...get(DK), MUL, ...i32(2), SHL, ADD, ...set(DROW),
      ...i32(0), ...set(DI),
      ...whileBelow(DI, DK, [
        ...get(DROW), ...times4(DI), ADD, ...loadF32At(0), ...tee(DW), ...f32const0, F32_NE,
        ...ifTrue([
          ...get(DW), ...SPLAT, ...set(WVEC),
          // DADDR ← out + i · units · 4; DFROM ← table + r · units · 4
          ...get(OUT), ...get(DI), ...get(DUNITS), MUL, ...i32(2), SHL, ADD, ...set(DADDR),
          ...get(TABLE), ...get(DR), ...get(DUNITS), MUL, ...i32(2), SHL, ADD, ...set(DFROM),
          ...i32(0), ...set(DU),
          ...whileBelow(DU, DUNITS, [
            ...addScaled(DADDR, DFROM, WVEC, lanes),
            ...get(DADDR), ...i32(16 * lanes), ADD, ...set(DADDR),
            ...get(DFROM), ...i32(16 * lanes), ADD, ...set(DFROM),
            ...increment(DU, 4 * lanes),
          ]),
        ]),
        ...increment(DI, 1),
      ]),
      ...increment(DR, 1),
    ]),
    0x0b,
  ];
};

const V128_ZERO = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
/** dotRows(out, table, init, x, rows, k): out[r] = init[0] + x[r] · table (a layer of one unit), k a multiple of 4. */
const F32X4_EXTRACT = (lane: number) => [0xfd, 0x1f, lane];
const F32_ADD = 0x92;
const dotRowsCode = (): number[] => [
  ...i32(0), ...set(DR),
  ...whileBelow(DR, DROWS, [
    ...V128_ZERO, ...set(DACC),
    ...get(DX), ...get(DR), ...get(DK), MUL, ...i32(2), SHL, ADD, ...set(DROW),
    ...get(TABLE), ...set(DADDR),
    ...i32(0), ...set(DI),
    ...whileBelow(DI, DK, [
      ...get(DACC), ...get(DROW), ...v128load(0), ...get(DADDR), ...v128load(0), ...F32X4_MUL, ...F32X4_ADD, ...set(DACC),
      ...get(DROW), ...i32(16), ADD, ...set(DROW),
      ...get(DADDR), ...i32(16), ADD, ...set(DADDR),
      ...increment(DI, 4),
    ]),
    // out[r] ← init[0] + ((a₀ + a₁) + (a₂ + a₃))
    ...get(OUT), ...times4(DR), ADD,
    ...get(INIT), ...loadF32At(0),
    ...get(DACC), ...F32X4_EXTRACT(0), ...get(DACC), ...F32X4_EXTRACT(1), F32_ADD,
    ...get(DACC), ...F32X4_EXTRACT(2), ...get(DACC), ...F32X4_EXTRACT(3), F32_ADD, F32_ADD, F32_ADD,
    0x38, 2, 0,
    ...increment(DR, 1),
  ]),
  0x0b,
];

const F32X4_MAX = [0xfd, ...uleb(0xe9)];
const F32X4_GT = [0xfd, 0x44];
const V128_AND = [0xfd, 0x4e];
/** for (i = 0; i < n; i += 4) with ADDR-style byte offsets: `body` sees DADDR = i · 4. */
const overVectors = (n: number, body: number[]) => [
  ...i32(0), ...set(DI),
  ...whileBelow(DI, n, [...get(DI), ...i32(2), SHL, ...set(DADDR), ...body, ...increment(DI, 4)]),
  0x0b,
];
const at = (pointer: number) => [...get(pointer), ...get(DADDR), ADD];
// relu(x = 0, n = 1)
const reluCode = overVectors(1, [...at(0), ...at(0), ...v128load(0), ...V128_ZERO, ...F32X4_MAX, ...v128store(0)]);
// reluGradient(dy = 0, y = 1, n = 2)
const reluGradientCode = overVectors(2, [...at(0), ...at(0), ...v128load(0), ...at(1), ...v128load(0), ...V128_ZERO, ...F32X4_GT, ...V128_AND, ...v128store(0)]);
// addInto(out = 0, x = 1, n = 2)
const addIntoCode = overVectors(2, [...at(0), ...at(0), ...v128load(0), ...at(1), ...v128load(0), ...F32X4_ADD, ...v128store(0)]);
// columnSums(out = 0, x = 1, rows = 2, units = 3): per 4 units, the rows added in order
const columnSumsCode = [
  ...i32(0), ...set(DU),
  ...whileBelow(DU, 3, [
    ...V128_ZERO, ...set(DACC),
    ...get(1), ...times4(DU), ADD, ...set(DADDR),
    ...i32(0), ...set(DR),
    ...whileBelow(DR, 2, [
      ...get(DACC), ...get(DADDR), ...v128load(0), ...F32X4_ADD, ...set(DACC),
      ...get(DADDR), ...times4(3), ADD, ...set(DADDR),
      ...increment(DR, 1),
    ]),
    ...get(0), ...times4(DU), ADD, ...get(DACC), ...v128store(0),
    ...increment(DU, 4),
  ]),
  0x0b,
];

const locals = vector([[6, I32], [5, V128]]);
const rowsFunction = (code: number[]) => [...locals, ...code];
const adamBody = [...vector([[1, I32], [10, V128]]), ...adamCode];
const denseFunction = (code: number[]) => [...denseLocals, ...code];
/** Each exported function: its name, its type (0: eight i32, 1: adam's), its body. */
const functions: [string, number, number[]][] = [
  ['run', 0, rowsFunction(runCode(4))],
  ['scatter', 0, rowsFunction(scatterCode(4))],
  ['run4', 0, rowsFunction(runCode(1))],
  ['scatter4', 0, rowsFunction(scatterCode(1))],
  ['adam', 1, adamBody],
  ['runDense', 0, denseFunction(runDenseCode(4))],
  ['runDense4', 0, denseFunction(runDenseCode(1))],
  ['scatterDense', 0, denseFunction(scatterDenseCode(4))],
  ['scatterDense4', 0, denseFunction(scatterDenseCode(1))],
  ['relu', 0, denseFunction(reluCode)],
  ['reluGradient', 0, denseFunction(reluGradientCode)],
  ['addInto', 0, denseFunction(addIntoCode)],
  ['columnSums', 0, denseFunction(columnSumsCode)],
  ['dotRows', 0, denseFunction(dotRowsCode())],
];
const moduleBytes = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, vector([
    [0x60, ...vector(Array.from({ length: 8 }, () => [I32])), 0],
    [0x60, ...vector([...Array.from({ length: 5 }, () => [I32]), ...Array.from({ length: 7 }, () => [F32])]), 0],
  ])),
  ...section(3, vector(functions.map(([, type]) => [type]))),
  ...section(5, vector([[0, 1]])),
  ...section(7, vector([...functions.map(([label], index) => [...name(label), 0, ...uleb(index)]), [...name('memory'), 2, 0]])),
  ...section(10, vector(functions.map(([, , body]) => [...uleb(body.length), ...body]))),
]);

type Entry = (out: number, table: number, init: number, offset: number, weight: number, start: number, rows: number, units: number) => void;
type AdamEntry = (param: number, gradient: number, first: number, second: number, count: number, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, alpha: number, epsilon: number, decay: number) => void;

/** One instance of the routines, with its own memory (byte addresses into it). */
export interface SimdRoutines {
  /** 16 units a pass: units % 16 == 0. */
  run: Entry;
  scatter: Entry;
  /** 4 units a pass: units % 4 == 0. */
  run4: Entry;
  scatter4: Entry;
  adam: AdamEntry;
  /** Over a dense input: (out, table, init, x, rows, k, units, 0); 16 or 4 units a pass. */
  runDense: Entry;
  runDense4: Entry;
  /** (out, table, 0, x, rows, k, units, 0). */
  scatterDense: Entry;
  scatterDense4: Entry;
  relu: (x: number, n: number) => void;
  reluGradient: (dy: number, y: number, n: number) => void;
  addInto: (out: number, x: number, n: number) => void;
  columnSums: (out: number, x: number, rows: number, units: number) => void;
  dotRows: (out: number, table: number, init: number, x: number, rows: number, k: number) => void;
  memory: WasmMemory;
}

let routine: SimdRoutines | null | undefined;

/** The module compiled once (null: no WebAssembly SIMD here); each instance of it has its own memory. */
let compiledModule: object | null | undefined;

function moduleOf(): object | null {
  if (compiledModule === undefined) {
    try {
      compiledModule = new WebAssembly.Module(moduleBytes);
    } catch {
      compiledModule = null;
    }
  }
  return compiledModule;
}

/** Whether this process has WebAssembly SIMD, which the routines need. */
export const simdSupported = (): boolean => moduleOf() !== null;

/** A fresh instance (its own memory), or null where WebAssembly SIMD is not available. */
export function instantiateSimd(): SimdRoutines | null {
  const compiled = moduleOf();
  return compiled === null ? null : (new WebAssembly.Instance(compiled).exports as unknown as SimdRoutines);
}

/** The shared instance the copying helpers below use, or null (the caller then sums in JavaScript). */
function compiled(): SimdRoutines | null {
  if (routine === undefined) routine = instantiateSimd();
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
 * run (units not a multiple of 4, or no WebAssembly SIMD).
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
  const wasm = units % 4 === 0 ? compiled() : null;
  if (!wasm) return null;
  const routine = units % 16 === 0 ? wasm[entry] : wasm[entry === 'run' ? 'run4' : 'scatter4'];
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
  routine(out, tableAt, initAt, offsetAt, weightAt, startAt, rows, units);
  return new Float32Array(heap, out, outFloats).slice();
}
