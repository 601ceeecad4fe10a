/** The job JSON Schema: the published copy matches the code, valid jobs pass, and it rejects what it should, quickly. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { jobSchema, validateJob } from '../../job/schema.js';
import { ROWS, compileSource } from '../compiler/harness.js';

const program = (target: string, head = 'regression') => `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
task t { features: f, target: ${target}, head: ${head} }`;
const jobOf = (target: string, head?: string) => {
  const c = compileSource(program(target, head));
  assert.deepEqual(c.diagnostics, []);
  return c.job!;
};

describe('job schema', () => {
  it('is what the build writes to docs/job.schema.json', () => {
    assert.deepEqual(JSON.parse(fs.readFileSync('docs/job.schema.json', 'utf8')), JSON.parse(JSON.stringify(jobSchema)));
  });

  it('accepts every kind of target expression', () => {
    assert.deepEqual(validateJob(jobOf('not (age > 3) and color in ["a", "b"] or -hours * 2 == label / 1 + 0.5 and flag != null', 'binary')), []);
  });

  it('validates a deeply nested expression in linear time (anyOf made it exponential)', () => {
    const job = jobOf(Array.from({ length: 300 }, (_, i) => `age * ${i}`).join(' + '));
    const start = performance.now();
    assert.deepEqual(validateJob(job), []);
    assert.ok(performance.now() - start < 1000, `${(performance.now() - start).toFixed(0)} ms`);
  });

  it('rejects malformed expressions, pointing inside them', () => {
    const job = jobOf('age + 1');
    const withTarget = (target: unknown) => ({ ...job, tasks: [{ ...job.tasks[0]!, target }] });
    assert.ok(validateJob(withTarget({ op: '+', args: [{ col: 'a' }] })).includes('/tasks/0/target/args must NOT have fewer than 2 items'));
    assert.ok(validateJob(withTarget({ op: 'pow', args: [{ col: 'a' }, { lit: 2 }] })).some((p) => p.startsWith('/tasks/0/target/op must be equal to constant')));
    assert.ok(validateJob(withTarget({ op: '+', args: [{ col: 'a' }, { col: 3 }] })).some((p) => p.startsWith('/tasks/0/target/args/1/col must be string')));
    assert.ok(validateJob(withTarget({ lit: { x: 1 } })).some((p) => p.startsWith('/tasks/0/target/lit must be number,string,boolean,null')));
    assert.notDeepEqual(validateJob(withTarget({})), []);
    assert.notDeepEqual(validateJob(withTarget({ op: 'not', args: [{ col: 'a' }, { col: 'b' }] })), []);
  });

  it('rejects a job of another format or version, and a missing part', () => {
    const job = jobOf('age');
    assert.ok(validateJob({ ...job, version: 1 }).some((p) => p.startsWith('/version must be equal to constant')));
    const { modules: _modules, ...incomplete } = job;
    assert.ok(validateJob(incomplete).includes("/ must have required property 'modules'"));
  });
});
