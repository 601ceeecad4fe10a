/**
 * The compiler's fuzzer: seeded programs made from every example and fixture (character and token mutations,
 * splices of two programs, random bytes, pathological nesting and sizes) through `parse`, `check`, `compile` and
 * `format`. Counts what must never happen: a throw (or an `internalError`), an input taking over 5 s, a diagnostic
 * whose span is outside its file, a job holding a non-finite number, a job failing its schema, a formatted program
 * that formats differently again. Seeded, so a finding reproduces.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { check, compile, format, parse } from '../../compiler/index.js';
import { validateJob } from '../../job/schema.js';
import { lex } from '../../grammar/parser.js';
import { fixtureFiles } from '../compiler/fixture-runner.js';

export const HANG_MS = 5_000;

/** mulberry32: the same sequence on every run. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Seed {
  /** Where the input is compiled as if it were: its imports and data files resolve from there. */
  file: string;
  text: string;
}

/** Every example and fixture program. */
export function corpus(root: string): Seed[] {
  const examples = fs.readdirSync(path.join(root, 'examples'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.mtl')).map((f) => path.join(root, 'examples', f));
  return [...examples.sort(), ...fixtureFiles(path.join(root, 'test', 'fixtures'))].map((file) => ({ file, text: fs.readFileSync(file, 'utf8') }));
}

const pick = <T>(r: () => number, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
const CHARS = ' \n\t{}()[],:.=<>!+-*/"#\\\'0123456789eE_azAZ\u00e9\u0000\uFEFF\uFFFD';
const SNIPPETS = ['task', 'share', 'import "x.mtl"', 'hard(', 'mmoe(', 'experts: 1e23', '1e309', '-', 'not ', '"', '/*', '//', '==', 'in [', 'null', '.s', '0', '-1', '2147483648', '1e-400'];

/** One input, the `i`th of the run seeded `seed`. */
export function generate(seeds: readonly Seed[], seed: number, i: number): Seed {
  const r = random(seed * 1_000_003 + i);
  const base = pick(r, seeds);
  const kind = r();
  let text = base.text;
  if (kind < 0.35) {
    // Character mutations: delete, insert, replace a few.
    for (let n = 1 + Math.floor(r() * 4); n > 0; n--) {
      const at = Math.floor(r() * (text.length + 1));
      const op = r();
      if (op < 0.33) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(r() * 8));
      else if (op < 0.66) text = text.slice(0, at) + pick(r, [...CHARS]) + text.slice(at);
      else text = text.slice(0, at) + pick(r, [...CHARS]) + text.slice(at + 1);
    }
  } else if (kind < 0.7) {
    // Token mutations: drop, duplicate, swap or replace tokens.
    const tokens = lex(text).tokens;
    for (let n = 1 + Math.floor(r() * 3); n > 0 && tokens.length > 1; n--) {
      const t = pick(r, tokens);
      const u = pick(r, tokens);
      const end = t.startOffset + t.image.length;
      const op = r();
      if (op < 0.25) text = text.slice(0, t.startOffset) + text.slice(end);
      else if (op < 0.5) text = text.slice(0, end) + ' ' + t.image + text.slice(end);
      else if (op < 0.75) text = text.slice(0, t.startOffset) + u.image + text.slice(end);
      else text = text.slice(0, t.startOffset) + pick(r, SNIPPETS) + text.slice(end);
      if (text.length !== base.text.length) break; // offsets moved: lex again next time
    }
  } else if (kind < 0.85) {
    // A splice: the head of one program, the tail of another.
    const other = pick(r, seeds).text;
    text = text.slice(0, Math.floor(r() * text.length)) + other.slice(Math.floor(r() * other.length));
  } else if (kind < 0.95) {
    // Random bytes, decoded as a file would be.
    const bytes = Buffer.from(Array.from({ length: Math.floor(r() * 400) }, () => Math.floor(r() * 256)));
    text = bytes.toString('utf8');
  } else {
    // Pathological nesting and sizes.
    const n = Math.floor(r() * 3_000);
    text = pick(r, [
      `task t { target: ${'('.repeat(n)}a${')'.repeat(n)} }`, `backbone b = mlp(units: ${'['.repeat(n)}`, `task t { target: ${'-'.repeat(n)}1 }`,
      `task t { target: ${Array.from({ length: n }, (_, k) => `a${k}`).join(' + ')} }`, text.repeat(1 + Math.floor(r() * 20)),
      `task t { target: ${'not '.repeat(n)}a }`, `${'{'.repeat(n)}`,
    ]);
  }
  return { file: base.file, text };
}

export interface Finding {
  index: number;
  kind: 'throw' | 'hang' | 'span' | 'non-finite' | 'schema' | 'fmt';
  detail: string;
  input: Seed;
}

function hasNonFinite(value: unknown): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (Array.isArray(value)) return value.some(hasNonFinite);
  if (value && typeof value === 'object') return Object.values(value).some(hasNonFinite);
  return false;
}

/**
 * Runs one input through the API; what went wrong, if anything. Checked and compiled confined to `root` when given (the
 * campaign's: the repository), so a mutated import or data path cannot make the fuzzer read the machine's files.
 */
export function runOne(input: Seed, index: number, root?: string): Finding[] {
  const found: Finding[] = [];
  const start = performance.now();
  try {
    const options = root === undefined ? {} : { root };
    const results = [parse({ file: input.file, text: input.text }), check({ file: input.file, text: input.text }, options), compile({ file: input.file, text: input.text }, options)];
    for (const result of results) {
      if (result.internalError) found.push({ index, kind: 'throw', detail: result.internalError.stack, input });
      for (const d of result.diagnostics) {
        const { file, start: s, end } = d.primary.span;
        const length = file === input.file ? input.text.length : Infinity;
        if (!(s >= 0 && s <= end && end <= length)) found.push({ index, kind: 'span', detail: `${d.code} ${d.message} at ${s}..${end} of ${length}`, input });
      }
    }
    const job = results[2]!.value;
    if (job && hasNonFinite(job)) found.push({ index, kind: 'non-finite', detail: 'a job holds a non-finite number', input });
    const problems = job ? validateJob(JSON.parse(JSON.stringify(job))) : [];
    if (problems.length) found.push({ index, kind: 'schema', detail: problems.join('; '), input });
    // `mtl fmt`: what parses formats, and formatting the result changes nothing (format checks meaning itself).
    const formatted = format(input.text, { file: input.file }).value;
    if (formatted !== null && format(formatted, { file: input.file }).value !== formatted) {
      found.push({ index, kind: 'fmt', detail: 'formatting the formatted text changed it', input });
    }
  } catch (error) {
    found.push({ index, kind: 'throw', detail: error instanceof Error ? error.stack ?? error.message : String(error), input });
  }
  const ms = performance.now() - start;
  if (ms > HANG_MS) found.push({ index, kind: 'hang', detail: `${ms.toFixed(0)} ms`, input });
  return found;
}

export interface Campaign {
  inputs: number;
  findings: Finding[];
  ms: number;
  slowestMs: number;
}

export function campaign(root: string, seed: number, count: number, onProgress?: (done: number) => void): Campaign {
  const seeds = corpus(root);
  const findings: Finding[] = [];
  const start = performance.now();
  let slowestMs = 0;
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    findings.push(...runOne(generate(seeds, seed, i), i, root));
    slowestMs = Math.max(slowestMs, performance.now() - t);
    if (onProgress && (i + 1) % 1000 === 0) onProgress(i + 1);
  }
  return { inputs: count, findings, ms: performance.now() - start, slowestMs };
}
