/**
 * `npm run bench:optimizations` (issue 14): the census main job (examples/census/census.mtl) run by `mtl run` with every
 * optimization, with each left out (`--no-opt NAME`), with all left out, and (with `--old DIR`, a checkout of an
 * earlier commit with its `dist/` built) by that build. Runs alternate, rotated by one per round, so a busy spell of
 * the machine spreads over all; printed are the medians over rounds of the run's own seconds (summary.json `seconds`:
 * fitting, training, per-epoch validation and checkpoints) and its training seconds (`trainSeconds`: the steps,
 * waiting for their batches included), each as a ratio to the first variant, and the validation AUCs of each (which
 * the optimizations must not change beyond float rounding).
 *
 *   --rounds N       rounds (default 3)
 *   --old DIR        also run DIR/dist/cli/main.js (e.g. `git worktree add /tmp/old COMMIT && cd /tmp/old && npx tsc`)
 *   --program FILE   another program (default examples/census/census.mtl)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { optimizationNames } from '../shared/optimizations.js';
import { median } from './step.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({ options: { rounds: { type: 'string' }, old: { type: 'string' }, program: { type: 'string' } } });
const rounds = Number(values.rounds ?? 3);
const program = path.resolve(values.program ?? path.join(root, 'examples', 'census', 'census.mtl'));

interface Variant {
  name: string;
  cli: string;
  args: string[];
  seconds: number[];
  trainSeconds: number[];
  auc: string;
}

const cli = path.join(root, 'dist', 'cli', 'main.js');
const all = optimizationNames();
const variants: Variant[] = [
  { name: 'all optimizations', cli, args: [] },
  ...all.map((name) => ({ name: `--no-opt ${name}`, cli, args: ['--no-opt', name] })),
  { name: `--no-opt ${all.join(',')}`, cli, args: ['--no-opt', all.join(',')] },
  ...(values.old ? [{ name: `old build (${values.old})`, cli: path.join(path.resolve(values.old), 'dist', 'cli', 'main.js'), args: [] }] : []),
].map((v) => ({ ...v, seconds: [], trainSeconds: [], auc: '' }));

const work = mkdtempSync(path.join(tmpdir(), 'mtl-bench-opt-'));
try {
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(round + k) % variants.length]!;
      const out = path.join(work, `run-${round}-${k}`);
      const run = spawnSync(process.execPath, [v.cli, 'run', program, '--out', out, '--no-progress', ...v.args], { cwd: root, encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`${v.name} failed:\n${run.stderr}${run.stdout}`);
      const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as { seconds: number; trainSeconds: number; valid: Record<string, { auc?: number }> };
      v.seconds.push(summary.seconds);
      v.trainSeconds.push(summary.trainSeconds);
      v.auc = Object.entries(summary.valid).map(([task, m]) => `${task} ${m.auc?.toFixed(4) ?? '-'}`).join(', ');
      console.log(`[round ${round + 1}/${rounds}] ${v.name}: ${summary.seconds.toFixed(2)} s (training ${summary.trainSeconds.toFixed(2)} s)`);
      rmSync(out, { recursive: true, force: true });
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const first = variants[0]!;
console.log(`\n${path.relative(root, program)}, ${rounds} round(s), medians; ratios to '${first.name}'`);
console.log(`${'variant'.padEnd(52)}${'run s'.padStart(8)}${'ratio'.padStart(8)}${'train s'.padStart(9)}${'ratio'.padStart(8)}  valid AUC`);
for (const v of variants) {
  const [s, t] = [median(v.seconds), median(v.trainSeconds)];
  console.log(`${v.name.padEnd(52)}${s.toFixed(2).padStart(8)}${(s / median(first.seconds)).toFixed(2).padStart(8)}${t.toFixed(2).padStart(9)}${(t / median(first.trainSeconds)).toFixed(2).padStart(8)}  ${v.auc}`);
}
