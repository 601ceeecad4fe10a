/**
 * `npm run bench:runtime`: the runtime's benchmarks, each in its own process so one's backend and memory
 * do not colour the next: (1) the wasm matmul fix (kernels.ts), (2) the runtime's training step against plain
 * tfjs, and the optimizer's share of it (step.ts), (3) Arrow streaming throughput and (4) peak RSS streaming a 2 GB file (data.ts), (5) the
 * MultiMNIST CNN's training step, batch 256: ms per step and images per second (cnn-step.ts), and the training step
 * of a tagger on token sequences through (6) a BiLSTM and (7) a Transformer encoder (sequence-step.ts).
 * Pass --skip-large to leave out (4).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const parts: { title: string; script: string; args: string[] }[] = [
  { title: '(1) wasm matmul fix: matMul throughput and the reference training step', script: 'kernels.js', args: [] },
  { title: '(2) the runtime training step against the same model in plain tfjs', script: 'step.js', args: [] },
  { title: '(3) Arrow streaming throughput, (4) peak RSS on a 2 GB file', script: 'data.js', args: process.argv.includes('--skip-large') ? ['--skip-large'] : [] },
  { title: '(5) the MultiMNIST CNN training step, batch 256', script: 'cnn-step.js', args: [] },
  { title: '(6) the training step of a 2-layer BiLSTM tagger on token sequences (wasm)', script: 'sequence-step.js', args: ['wasm', 'bilstm'] },
  { title: '(7) the training step of a 2-layer Transformer tagger on token sequences (wasm)', script: 'sequence-step.js', args: ['wasm', 'transformer'] },
];

let failed = 0;
for (const part of parts) {
  console.log(`\n=== ${part.title}\n`);
  const result = spawnSync(process.execPath, [path.join(here, part.script), ...part.args], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
console.log(failed ? `\n${failed} benchmark(s) missed their target` : '\nall runtime benchmarks met their targets');
process.exitCode = failed ? 1 : 0;
