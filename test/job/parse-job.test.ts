/** parseJob: the one door a job comes in by — format, version, schema, and every reference resolved. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobError, parseJob } from '../../job/parse.js';
import type { Job } from '../../job/job.js';
import { ROWS, compileSource } from '../compiler/harness.js';

const jobOf = (): Job => {
  const c = compileSource(`${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
backbone trunk = mlp(units: [4, 3])
task a { features: f, target: age > 3, head: binary }
task b { features: f, target: age, head: regression, tower: mlp(units: [2]) }
share s = hard(backbone: trunk, tasks: [a, b])`);
  assert.deepEqual(c.diagnostics, []);
  return structuredClone(c.job!);
};

const problemsOf = (value: unknown): string[] => {
  try {
    parseJob(value, 'job.json');
  } catch (e) {
    assert.ok(e instanceof JobError, String(e));
    return e.problems;
  }
  return [];
};

describe('parseJob', () => {
  it('accepts what the compiler writes, unchanged', () => {
    const job = jobOf();
    assert.equal(parseJob(job), job);
  });

  // Version 4: the selection plan became a union by kind (`best`, `weighted`) with an objective per task.
  for (const version of [1, 2]) {
    it(`says what to do with a version ${version} job`, () => {
      const error = (() => { try { parseJob({ ...jobOf(), version }, 'old.json'); } catch (e) { return e as JobError; } return null; })();
      assert.ok(error instanceof JobError);
      assert.equal(error.message, `old.json is a version ${version} job; this mtl reads version 3 jobs: compile the program again with this mtl (\`mtl compile PROGRAM.mtl -o job.json\`)`);
    });
  }

  it('refuses what is not a job at all', () => {
    assert.deepEqual(problemsOf({ hello: 1 }), ['is not an mtl job (its "format" is undefined, expected "mtl-job")']);
    assert.deepEqual(problemsOf(null), ['is not an mtl job (its "format" is undefined, expected "mtl-job")']);
  });

  it('reports the schema problem with its path', () => {
    const job = jobOf() as unknown as { tasks: { weight: unknown }[] };
    job.tasks[0]!.weight = 'heavy';
    assert.deepEqual(problemsOf(job), ['does not match the job schema: /tasks/0/weight must be number']);
  });

  it('finds every dangling reference', () => {
    const job = jobOf();
    const tower = job.modules.find((m) => m.id === 'b.tower')!;
    tower.from = [{ module: 's', layer: 5 }];
    job.tasks[0]!.from = { module: 'nowhere', layer: 0 };
    job.tasks[1]!.input = 'y';
    job.tasks[1]!.head.units = { classes: 'c' };
    job.training.stages[0]!.frozen = ['gone'];
    assert.deepEqual(problemsOf(job), [
      "module 'b.tower' reads layer 5 of module 's', which has layers 0 to 1",
      "task 'a' reads module 'nowhere', which the job does not have",
      "task 'b' reads input 'y', which the job does not have",
      "the head of task 'b' is sized by the classes of task 'c', which the job does not have",
      "training stage 1 (frozen) names module 'gone', which the job does not have",
    ]);
  });

  it('finds a module that reads its own output', () => {
    const job = jobOf();
    job.modules.find((m) => m.id === 's')!.from = [{ module: 'b.tower', layer: 0 }];
    assert.deepEqual(problemsOf(job), ["module 'b.tower' reads its own output (b.tower → s → b.tower)"]);
  });

  it('finds duplicate names and tasks outside any batch group', () => {
    const job = jobOf();
    job.modules.push({ ...job.modules[0]! });
    job.batchGroups[0]!.tasks = ['a'];
    assert.deepEqual(problemsOf(job), ["has two modules named 'b.tower'", "task 'b' is in no batch group"]);
  });

  it('checks the selection: one objective per task, on a metric it reports, and a weight above 0 for each', () => {
    const job = jobOf();
    assert.deepEqual(job.training.selection, {
      kind: 'best', metric: 'loss', task: 'mean', mode: 'min', patience: null,
      objectives: [{ task: 'a', metric: 'loss', mode: 'min' }, { task: 'b', metric: 'loss', mode: 'min' }],
    });
    job.training.selection = {
      kind: 'weighted', weights: { a: 0, c: 1 }, patience: null,
      objectives: [{ task: 'a', metric: 'mse', mode: 'min' }, { task: 'c', metric: 'loss', mode: 'min' }, { task: 'a', metric: 'auc', mode: 'max' }],
    };
    assert.deepEqual(problemsOf(job), [
      "the selection objective of task 'a' is 'mse', which the task does not report",
      "a selection objective names task 'c', which the job does not have",
      'the selection objectives name a task twice',
      "task 'b' has no selection objective",
      "the selection weight of task 'a' is 0, not above 0",
    ]);
  });

  it('is what the package exports as mtl/job', async () => {
    const published = await import('mtl/job');
    assert.equal(published.parseJob, parseJob);
    assert.equal(published.JobError, JobError);
  });
});
