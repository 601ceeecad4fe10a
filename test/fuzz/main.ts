/** `npm run fuzz [-- COUNT [SEED]]`: the full campaign; prints its figures and each finding's input to fuzz-findings/. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { campaign } from './fuzz.js';
import { repoRoot } from '../compiler/harness.js';

const count = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? 1);
if (!Number.isInteger(count) || count < 0 || !Number.isInteger(seed)) {
  console.error('usage: npm run fuzz [-- COUNT [SEED]]   (default 100000 inputs, seed 1; findings go to fuzz-findings/)');
  process.exit(2);
}
const result = campaign(repoRoot, seed, count, (done) => process.stderr.write(`\r${done} / ${count}`));
process.stderr.write('\n');
const by = (kind: string) => result.findings.filter((f) => f.kind === kind).length;
console.log(`inputs ${result.inputs}, seed ${seed}: throws ${by('throw')}, hangs over 5 s ${by('hang')}, spans outside their file ${by('span')}, non-finite jobs ${by('non-finite')}, jobs failing the schema ${by('schema')}, formatted programs that format differently again ${by('fmt')}; ${(result.ms / 1000).toFixed(1)} s, slowest input ${result.slowestMs.toFixed(0)} ms`);
if (result.findings.length) {
  const dir = path.join(repoRoot, 'fuzz-findings');
  fs.mkdirSync(dir, { recursive: true });
  for (const f of result.findings.slice(0, 50)) {
    fs.writeFileSync(path.join(dir, `${f.index}-${f.kind}.mtl`), f.input.text);
    console.log(`#${f.index} ${f.kind} (${path.relative(repoRoot, f.input.file)}): ${f.detail.split('\n').slice(0, 3).join(' / ')}`);
  }
  process.exitCode = 1;
}
