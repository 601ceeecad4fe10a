/**
 * The stdlib catalog against the compiler and the runtime. For every constructor of every category, a small program
 * is derived from the catalog (its required arguments generated from their types and limits, and placed where its
 * category goes), and it must EITHER compile to a job that `parseJob` accepts, that the runtime's `assertRunnable`
 * accepts (its layers, heads, schemes, transforms, weighting and aggregation), and that shows the constructor (when its entry says `runs: true`), OR be
 * refused by `mtl check` with the not-run diagnostic alone (when `runs: false`; compiled anyway with
 * `allowUnrunnable`, the runtime must refuse that job). Nothing is dropped silently: a backbone lowering to no layers
 * fails here, unless it is `identity`, the one backbone that has none.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Job } from '../../job/job.js';
import { parseJob } from '../../job/parse.js';
import { assertRunnable } from '../../runtime/train/support.js';
import {
  constructors, constructorsOf, declarationFields, scheduleOfKind, splitOfKind, withinLimits,
  type Constructor, type ConstructorOf, type Limits, type Param, type ValueKind,
} from '../../stdlib/index.js';
import type { Category, Type } from '../../stdlib/types.js';
import { ROWS, compileSource } from './harness.js';
import { renderFrames } from '../../compiler/index.js';
import { argsOf } from '../../compiler/check/args.js';
import type { ValueOf } from '../../compiler/check/values.js';

/** The columns of ROWS (test/fixtures/data/tiny.arrow) by type: the first of a type is the one programs read. */
const COLUMNS: [string, string][] = [
  ['age', 'float'], ['hours', 'int'], ['label', 'int'], ['flag', 'bool'], ['color', 'string'], ['part', 'string'],
  ['words', 'list<string>'], ['tags', 'list<string>'], ['heads', 'list<int>'], ['pixels', 'list<float>'],
];
const columnOf = (types: readonly string[]): string => {
  const found = COLUMNS.find(([, type]) => types.includes(type));
  if (!found) throw new Error(`no column of type ${types.join(' or ')} in ROWS`);
  return found[0];
};

// ---------------------------------------------------------------- arguments generated from the catalog

/** A number its limits accept: 0.5 when it can be, else the least one. */
function numberWithin(limits: Limits | undefined, integer: boolean): string {
  if (!integer && withinLimits(0.5, limits ?? {})) return '0.5';
  const least = Math.max(integer ? 1 : 0, limits?.min ?? 1);
  return String(limits?.minExclusive && least === limits.min ? least + 1 : least);
}

/** `.mtl` source of a value of `type` that its limits accept, for a program whose tasks are `tasks`. */
function valueOf(type: Type, limits: Limits | undefined, tasks: string[]): string {
  switch (type.t) {
    case 'number': return numberWithin(limits, false);
    case 'int': return numberWithin(limits, true);
    case 'string': return '"x"';
    case 'bool': return 'false';
    case 'list': return `[${type.of.t === 'ref' && type.of.to === 'task' ? tasks.join(', ') : valueOf(type.of, limits, tasks)}]`;
    case 'record': return `{ ${tasks.map((t) => `${t}: ${(1 / tasks.length).toFixed(10)}`).join(', ')} }`;
    case 'ref': throw new Error(`no generated reference to a ${type.to}`);
    case 'column': return columnOf(['string']);
    case 'enum': return type.values[0]!;
    case 'ctor': return callOf(constructorsOf(type.category).find((c) => c.runs)!, tasks);
    case 'expr': return columnOf(['int']);
    case 'union': return valueOf(type.of.find((t) => t.t === 'ctor') ?? type.of[0]!, limits, tasks);
    case 'optional': return valueOf(type.of, limits, tasks);
  }
}

const required = (p: Param) => p.default === undefined && p.type.t !== 'optional';

/** A call of the constructor with its required arguments (and, for a transform, a column of a type it accepts). */
function callOf(c: Constructor, tasks: string[]): string {
  const rest = c.category === 'transform' ? [columnOf(c.accepts)] : c.rest ? [valueOf(c.rest.type, undefined, tasks)] : [];
  const named = c.params.filter(required).map((p) => `${p.name}: ${valueOf(p.type, p.limits, tasks)}`);
  return `${c.name}(${[...rest, ...named].join(', ')})`;
}

// ---------------------------------------------------------------- where each category goes

interface Probe {
  source: string;
  /** Whether the job shows the constructor (so it was not dropped on the way). */
  shows(job: Job): boolean;
  /** Files besides DATA_FILE that the program reads. */
  files?: Record<string, string>;
}

/** The features that give a model input of each kind, and the parts to put before a part that reads it (a sequence of vectors comes from token ids). */
const INPUTS: Record<ValueKind, { features: string; before: string[] }> = {
  vector: { features: 'standardize(age), onehot(color)', before: [] },
  ids: { features: 'tokens(words, max_length: 4)', before: [] },
  sequence: { features: 'tokens(words, max_length: 4)', before: ['lstm(units: 2)'] },
  image: { features: 'image(pixels, shape: [2, 2, 1])', before: [] },
};
/** The parts after one that makes each kind, so a binary head reads a vector. */
const toVector: Record<ValueKind, string[]> = { vector: [], ids: ['lstm(units: 2)', 'pool()'], sequence: ['pool()'], image: ['cnn(filters: [1])'] };

/** Two tasks on one feature set (what a share needs), or a third on its own for sampling to choose between. */
function program(parts: { dataset?: string; features?: string; tasks?: string[]; extra?: string; train?: string; third?: boolean }): string {
  const tasks = parts.tasks ?? ['task a { features: f, target: label == 1, head: binary }', 'task b { features: f, target: age, head: regression }'];
  return [
    parts.dataset ?? ROWS,
    `features f { dataset: rows, transforms: [${parts.features ?? INPUTS.vector.features}] }`,
    ...(parts.third ? ['features g { dataset: rows, transforms: [standardize(hours)] }', 'task c { features: g, target: hours, head: regression }'] : []),
    ...tasks,
    parts.extra ?? '',
    parts.train ? `train { ${parts.train} }` : '',
  ].join('\n');
}

const TASKS = ['a', 'b'];
const WITH_THIRD = ['a', 'b', 'c'];
const hardShare = 'share s = hard(backbone: mlp(units: [2]), tasks: [a, b])';

/** The target field a head holds (none for a head that reads no target: `objective`). */
const targetOf = (head: ConstructorOf<'head'>) => (head.targets ? `target: ${columnOf(head.targets.types)}, ` : '');

/** A program of one task with `head` (and `field`), on features of what the head reads, through a backbone that keeps it. */
function headProgram(head: ConstructorOf<'head'>, field = ''): string {
  const backbone = head.reads === 'vector' ? '' : head.reads === 'image' ? ', backbone: cnn(filters: [1], flatten: false)' : ', backbone: lstm(units: 2)';
  return program({ features: INPUTS[head.reads].features, tasks: [`task a { features: f, ${targetOf(head)}head: ${callOf(head, TASKS)}${backbone}${field} }`] });
}

/** A program whose task has the first head that pairs with a loss or metric (running heads first). */
function programWithHead(pick: (head: ConstructorOf<'head'>) => boolean, field: string): string {
  return headProgram(constructorsOf('head').sort((x, y) => Number(y.runs) - Number(x.runs)).find(pick)!, `, ${field}`);
}

const place: { [C in Category]: (c: ConstructorOf<C>) => Probe } = {
  column_type: (c) => ({
    source: program({ dataset: ROWS.replace('pixels: list(float) }', `pixels: list(float), probe: ${callOf(c, TASKS)} }`) }),
    shows: (job) => job.datasets[0]!.columns.some((col) => col.name === 'probe' && col.type.startsWith(c.name)),
  }),
  // A split by files needs a file to train on and another to hold out: generated strings would name one file for all.
  split: (c) => ({
    source: program({
      dataset: c.name === 'files'
        ? ROWS.replace(/files: "(.*)"/, 'files: ["$1", "held-out.arrow"]').replace(/}$/, '  split: files(train: "data/rows.arrow", valid: "held-out.arrow", test: "held-out.arrow")\n}')
        : ROWS.replace(/}$/, `  split: ${callOf(c, TASKS)}\n}`),
    }),
    shows: (job) => splitOfKind[job.datasets[0]!.split.kind] === c.name,
    files: { 'held-out.arrow': '' },
  }),
  transform: (c) => ({
    source: program({
      features: callOf(c, TASKS),
      tasks: [`task a { features: f, target: label == 1, head: binary${toVector[c.produces].length ? `, backbone: sequential(${toVector[c.produces].join(', ')})` : ''} }`],
    }),
    shows: (job) => job.features.some((f) => f.transform.kind === c.name),
  }),
  backbone: (c) => {
    const call = callOf(c, TASKS);
    // What it reads and makes, from its entry, on its elaborated arguments (`sequential` reads what its parts do).
    const flow = c.form === 'layers' ? c.flow(argsOf(elaborated(call))) : { vector: 'vector' as const };
    const reads = (['vector', 'ids', 'image', 'sequence'] as const).find((k) => k in flow)!;
    const makes = flow[reads]!;
    const around = (parts: string[]) => program({
      features: INPUTS[reads].features,
      tasks: [`task a { features: f, target: label == 1, head: binary${parts.length ? `, backbone: sequential(${parts.join(', ')})` : ''} }`],
    });
    const withIt = [...INPUTS[reads].before, call, ...toVector[makes]];
    const layersOf = (job: Job | null) => job?.modules.find((m) => m.id === 'a.backbone')?.layers.length ?? 0;
    return {
      source: around(withIt),
      // Its layers are the job's layers beyond those of the same program without it. `identity` is the one backbone
      // that has none: the head reads what reaches it directly.
      shows: (job) => {
        const without = layersOf(compileSource(around(withIt.filter((p) => p !== call)), { options: { allowUnrunnable: true } }).job);
        return c.name === 'identity' ? layersOf(job) === without : layersOf(job) > without;
      },
    };
  },
  sharing: (c) => ({
    source: program({ extra: `share s = ${callOf(c, TASKS)}` }),
    shows: (job) => job.modules.some((m) => m.sharing.kind === c.name) && job.modules.every((m) => m.layers.length > 0),
  }),
  head: (c) => ({ source: headProgram(c), shows: (job) => job.tasks[0]!.head.kind === c.name }),
  loss: (c) => ({
    source: programWithHead((h) => (h.losses.allowed as string[]).includes(c.name), `loss: ${callOf(c, TASKS)}`),
    shows: (job) => job.tasks[0]!.loss === c.name,
  }),
  metric: (c) => ({
    source: programWithHead((h) => (h.metrics.allowed as string[]).includes(c.name), `metrics: [${callOf(c, TASKS)}]`),
    shows: (job) => job.tasks[0]!.metrics.includes(c.name),
  }),
  optimizer: (c) => ({ source: program({ train: `optimizer: ${callOf(c, TASKS)}` }), shows: (job) => job.training.optimizer.kind === c.name }),
  schedule: (c) => ({ source: program({ train: `optimizer: adam(lr: ${callOf(c, TASKS)})` }), shows: (job) => scheduleOfKind[job.training.optimizer.lr.kind] === c.name }),
  sampling: (c) => ({ source: program({ third: true, train: `sampling: ${callOf(c, WITH_THIRD)}` }), shows: (job) => job.training.sampling.kind === c.name }),
  phase: (c) => ({
    source: program({ third: true, train: `sampling: scheduled(phases: [${callOf(c, WITH_THIRD)}])` }),
    shows: (job) => job.training.sampling.kind === 'scheduled' && job.training.sampling.phases.length === 1,
  }),
  weighting: (c) => ({ source: program({ extra: hardShare, train: `weighting: ${callOf(c, TASKS)}` }), shows: (job) => job.training.weighting.kind === c.name }),
  aggregation: (c) => ({ source: program({ extra: hardShare, train: `aggregation: ${callOf(c, TASKS)}` }), shows: (job) => job.training.aggregation.kind === c.name }),
  stage: (c) => ({ source: program({ train: `stages: [${callOf(c, TASKS)}]` }), shows: (job) => job.training.stages.length === 1 && job.training.stages[0]!.tasks.join() === 'a,b' }),
  selection: (c) => ({ source: program({ train: `select: ${callOf(c, TASKS)}` }), shows: (job) => job.training.selection.kind === c.name }),
  acceptance: (c) => ({ source: program({ train: `accept: ${callOf(c, TASKS)}` }), shows: (job) => job.training.accept?.kind === c.name }),
};

/** A backbone call as elaboration reads it (its defaults filled in). */
function elaborated(call: string): ValueOf<'call'> {
  const checked = compileSource(`${ROWS}\nbackbone probe = ${call}`, { options: { only: [] } }).checked!;
  return checked.backbones.get('probe')!.fields.value as ValueOf<'call'>;
}

function probe(c: Constructor): Probe {
  return (place[c.category] as (c: Constructor) => Probe)(c);
}

describe('the stdlib catalog', () => {
  it('has a constructor in every category', () => {
    for (const category of Object.keys(place) as Category[]) assert.ok(constructorsOf(category).length > 0, category);
  });

  for (const c of constructors) {
    const what = `${c.category} \`${c.name}\``;
    if (c.runs) {
      it(`${what} compiles to a job the runtime accepts, and shows in it`, () => {
        const { source, shows, files } = probe(c);
        const compiled = compileSource(source, { files, options: { verifyIr: true } });
        // No error or warning; an info may say what the constructor costs (MTL0601).
        assert.deepEqual(compiled.diagnostics.filter((d) => d.severity !== 'info'), [], `${source}\n${renderFrames(compiled.diagnostics, compiled.loaded.sources)}`);
        const job = parseJob(JSON.parse(JSON.stringify(compiled.job)));
        assertRunnable(job);
        assert.ok(shows(job), `${what} does not show in the job of:\n${source}`);
      });
    } else {
      it(`${what} is refused by mtl check as not run, and the runtime refuses it too`, () => {
        const { source, shows } = probe(c);
        const checked = compileSource(source);
        const errors = checked.diagnostics.filter((d) => d.severity === 'error');
        assert.ok(errors.length > 0 && errors.every((d) => d.code === 'MTL0501'), `${source}\n${renderFrames(checked.diagnostics, checked.loaded.sources)}`);
        assert.ok(errors.some((d) => d.message.startsWith(`\`${c.name}\` does not run in this version of mtl (the compiler understands it; ${c.notRun})`)), what);
        assert.equal(checked.job, null);

        const allowed = compileSource(source, { options: { verifyIr: true, allowUnrunnable: true } });
        assert.ok(allowed.diagnostics.every((d) => d.severity === 'warning' && d.code === 'MTL0501'), renderFrames(allowed.diagnostics, allowed.loaded.sources));
        const job = parseJob(JSON.parse(JSON.stringify(allowed.job)));
        assert.ok(shows(job), `${what} does not show in the job of:\n${source}`);
        assert.throws(() => assertRunnable(job), /does not run yet/, `the runtime runs ${what}: its entry should say runs: true`);
      });
    }
  }

  it('has defaults its own limits accept', () => {
    const params = [...constructors.flatMap((c) => c.params.map((p) => [`${c.category} ${c.name}`, p] as const)), ...Object.entries(declarationFields).flatMap(([k, ps]) => ps.map((p) => [k, p] as const))];
    let checked = 0;
    for (const [owner, p] of params) {
      if (p.default === undefined || !p.limits) continue;
      checked++;
      if (/^-?[\d.]+(e-?\d+)?$/.test(p.default)) assert.ok(withinLimits(Number(p.default), p.limits), `${owner} ${p.name} = ${p.default}`);
      else if (p.default.startsWith('[')) assert.ok((p.default === '[]' ? 0 : p.default.split(',').length) >= (p.limits.minItems ?? 0), `${owner} ${p.name} = ${p.default}`);
    }
    assert.ok(checked > 30, `${checked} defaults with limits`);
  });
});
