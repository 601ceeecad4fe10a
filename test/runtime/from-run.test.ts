/**
 * `mtl run FILE --from RUN_DIR` (runtime/train/from-run.ts): a program with a new task, started from a finished run of
 * the program without it, loads every parameter with its name and shape, trains only the new task's head, and saves
 * the loaded parameters bit for bit as the run had them; `unfreeze` trains named ones anyway; a new LoRA trains on a
 * loaded trunk; a parameter of the same name and another shape is an error naming it and both shapes.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compileProgram } from '../../compiler/compile.js';
import { resumeRun, runJob, type RunSummary } from '../../runtime/run.js';
import { readSavedWeights } from '../../runtime/model/weights.js';
import { writeServedData } from './helpers/served-run.js';

const program = (data: string, tasks: string, share = 'hard(backbone: mlp(units: [8]), tasks: [flagged, level])') => `dataset rows {
  files: ${JSON.stringify(data)}
  columns: { id: int, age: float, hours: int, color: string, flag: bool, level: string, price: float }
  split: ratio(train: 0.5, valid: 0.25, test: 0.25, seed: 5)
}
features person { dataset: rows, transforms: [standardize(age, hours), onehot(color)] }
task flagged { features: person, target: flag, head: binary }
task level { features: person, target: level, head: multiclass }
${tasks}
share both = ${share}
train { batch_size: 32, epochs: 2, seed: 3 }
`;
const PRICE = 'task price { features: person, target: price, head: regression }';
const WITH_PRICE = 'hard(backbone: mlp(units: [8]), tasks: [flagged, level, price])';

/** Every saved parameter's values, by name. */
async function savedValues(run: string): Promise<Record<string, Float32Array>> {
  const named = await readSavedWeights(run);
  const values = Object.fromEntries(Object.entries(named).map(([name, t]) => [name, t.dataSync() as Float32Array]));
  Object.values(named).forEach((t) => t.dispose());
  return values;
}

describe('mtl run --from', () => {
  let dir: string;
  let data: string;
  let base: string;
  const run = async (name: string, source: string, from?: { run: string; unfreeze: string[] }) => {
    const file = join(dir, `${name}.mtl`);
    writeFileSync(file, source);
    const compiled = compileProgram({ file });
    assert.ok(compiled.job, compiled.diagnostics.map((d) => d.message).join('\n'));
    const lines: string[] = [];
    const out = join(dir, name);
    const summary = await runJob(compiled.job, { out, backend: 'cpu', log: (line) => lines.push(line), progress: false, ...(from ? { from } : {}) });
    return { out, summary, lines };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mtl-from-'));
    data = join(dir, 'rows.arrow');
    writeServedData(data);
    base = (await run('base', program(data, ''))).out;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('trains only the new task’s head; every loaded parameter is saved bit for bit as the run had it', async () => {
    const { out, summary, lines } = await run('added', program(data, PRICE, WITH_PRICE), { run: base, unfreeze: [] });
    const [before, after] = [await savedValues(base), await savedValues(out)];
    const loaded = ['both/0/kernel', 'both/0/bias', 'head/flagged/kernel', 'head/flagged/bias', 'head/level/kernel', 'head/level/bias'];
    assert.deepEqual(Object.keys(before), loaded);
    for (const name of loaded) assert.deepEqual(Buffer.from(after[name]!.buffer), Buffer.from(before[name]!.buffer), `${name} is bit-identical`);
    // The new head trained: its bias starts at zero.
    assert.ok(after['head/price/bias']![0] !== 0, 'head/price/bias moved');
    assert.deepEqual(summary.from, { run: base, unfreeze: [], loaded: 6, fixed: 6, trains: ['head/price/kernel', 'head/price/bias'] });
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).from, summary.from);
    assert.ok(existsSync(join(out, 'from.json')));
    assert.ok(lines.includes(`from ${base}: loaded 6 parameters (${loaded.join(', ')}); 6 stay fixed`), lines.join('\n'));
    assert.ok(lines.includes('trains 2 parameters: head/price/kernel, head/price/bias'), lines.join('\n'));
    // Only price has anything to train; every task is evaluated.
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'job.json'), 'utf8')).training.stages.map((s: { tasks: string[] }) => s.tasks), [['price']]);
    assert.deepEqual(Object.keys((summary as RunSummary).valid!).sort(), ['flagged', 'level', 'price']);
  });

  it('a run started --from and interrupted keeps the loaded parameters fixed when resumed', async () => {
    const file = join(dir, 'resumed.mtl');
    writeFileSync(file, program(data, PRICE, WITH_PRICE));
    const job = compileProgram({ file }).job!;
    const out = join(dir, 'resumed');
    const stop = new AbortController();
    const options = { backend: 'cpu', log: () => {}, progress: false, checkpointEvery: 2 };
    await assert.rejects(runJob(job, { ...options, out, from: { run: base, unfreeze: [] }, signal: stop.signal, onCheckpoint: () => stop.abort() }), /interrupted after step 3 of 10 \(epoch 1\)/);
    const summary = await resumeRun(out, options);
    assert.deepEqual(summary.from!.trains, ['head/price/kernel', 'head/price/bias']);
    const [before, after] = [await savedValues(base), await savedValues(out)];
    for (const name of Object.keys(before)) assert.deepEqual(Buffer.from(after[name]!.buffer), Buffer.from(before[name]!.buffer), name);
  });

  it('a program with nothing new to train is an error that says what to do', async () => {
    await assert.rejects(
      run('same', program(data, ''), { run: base, unfreeze: [] }),
      new RegExp(`: nothing trains: every parameter its tasks \\(flagged, level\\) read was loaded from ${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} and stays fixed; add a task, or name what should train with --unfreeze$`),
    );
  });

  it('--unfreeze trains loaded parameters by name prefix; the rest stay bit-identical', async () => {
    const { out, summary } = await run('unfrozen', program(data, PRICE, WITH_PRICE), { run: base, unfreeze: ['both'] });
    const [before, after] = [await savedValues(base), await savedValues(out)];
    assert.notDeepEqual(after['both/0/kernel'], before['both/0/kernel']);
    for (const name of ['head/flagged/kernel', 'head/level/bias']) assert.deepEqual(Buffer.from(after[name]!.buffer), Buffer.from(before[name]!.buffer), name);
    assert.deepEqual(summary.from!.trains, ['both/0/kernel', 'both/0/bias', 'head/price/kernel', 'head/price/bias']);
  });

  it('LoRA on a loaded trunk: the trunk and heads stay as loaded, each task’s updates train', async () => {
    const { out, summary } = await run('lora', program(data, '', 'lora(backbone: mlp(units: [8]), tasks: [flagged, level], rank: 2)'), { run: base, unfreeze: [] });
    const [before, after] = [await savedValues(base), await savedValues(out)];
    for (const name of Object.keys(before)) assert.deepEqual(Buffer.from(after[name]!.buffer), Buffer.from(before[name]!.buffer), name);
    assert.deepEqual(summary.from!.trains, ['both/lora/flagged/0/a', 'both/lora/flagged/0/b', 'both/lora/level/0/a', 'both/lora/level/0/b']);
    assert.ok(after['both/lora/level/0/b']!.some((v) => v !== 0), 'a B moved off zero');
  });

  it('a parameter with the name and another shape is an error naming it and both shapes', async () => {
    await assert.rejects(
      run('wider', program(data, '', 'hard(backbone: mlp(units: [6]), tasks: [flagged, level])'), { run: base, unfreeze: [] }),
      (e: Error) => {
        assert.match(e.message, /^parameter `both\/0\/kernel` has shape \[5, 8\] in .*base, but this program's model needs \[5, 6\]$/m);
        assert.match(e.message, /^parameter `both\/0\/bias` has shape \[8\] in .*base, but this program's model needs \[6\]$/m);
        assert.match(e.message, /^parameter `head\/flagged\/kernel` has shape \[8, 1\] in .*base, but this program's model needs \[6, 1\]$/m);
        return true;
      },
    );
    assert.ok(!existsSync(join(dir, 'wider')) && !existsSync(join(dir, 'wider.partial')), 'nothing left behind');
  });

  it('--from a directory that is not a finished run is an error before any data is read', async () => {
    await assert.rejects(run('nowhere', program(data, PRICE, WITH_PRICE), { run: join(dir, 'nowhere-run'), unfreeze: [] }), /--from .*nowhere-run: .*nowhere-run\/weights.json does not exist; give a finished run directory \(from `mtl run`\)/);
  });

  it('--unfreeze of a name nothing loaded is an error', async () => {
    await assert.rejects(run('typo', program(data, PRICE, WITH_PRICE), { run: base, unfreeze: ['bothh'] }), /--unfreeze bothh: no parameter loaded from .* is named bothh or starts with bothh\//);
  });
});
