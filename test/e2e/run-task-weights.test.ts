/**
 * `mtl run` ends with an adaptive weighting's last task weights (and uncertainty's log-variances), as summary.json keeps
 * them; a fixed weighting prints none. On the tiny fixture table, on the cpu backend.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { mtl, tinyTwoTaskProgram } from './cli.js';

const program = (train: string) => tinyTwoTaskProgram(`${train}, epochs: 3, batch_size: 8, optimizer: sgd(lr: 0.05, clip_norm: 1)`);

describe('mtl run: the task weights at the end', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-task-weights-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (name: string, train: string) => {
    const file = path.join(dir, `${name}.mtl`);
    fs.writeFileSync(file, program(train));
    const out = path.join(dir, name);
    const result = mtl(['run', file, '--out', out, '--backend', 'cpu', '--no-progress']);
    assert.equal(result.status, 0, result.stderr);
    return { stdout: result.stdout, summary: JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')) };
  };

  it('prints uncertainty\'s weights and log-variances after the last epoch, as summary.json has them', () => {
    const { stdout, summary } = run('uncertainty', 'weighting: uncertainty(form: by_head)');
    const { epoch, weights, learned } = summary.taskWeights;
    assert.equal(epoch, 3);
    const lines = ['task weights (uncertainty, after epoch 3):'];
    for (const task of ['flagged', 'hours_left']) {
      lines.push(`  ${task.padEnd(20)} ${weights[task].toFixed(4)}  log_variance ${learned.log_variance[task].toFixed(4)}`);
    }
    assert.ok(stdout.includes(`${lines.join('\n')}\n`), stdout);
    // by_head: flagged (binary) weighs e^{-s}, hours_left (regression) ½e^{-s}
    assert.ok(Math.abs(weights.flagged - Math.exp(-learned.log_variance.flagged)) < 1e-12);
    assert.ok(Math.abs(weights.hours_left - 0.5 * Math.exp(-learned.log_variance.hours_left)) < 1e-12);
  });

  it('prints none for fixed weights', () => {
    const { stdout, summary } = run('static', 'weighting: static()');
    assert.equal(summary.taskWeights, null);
    assert.doesNotMatch(stdout, /task weights/);
  });
});
