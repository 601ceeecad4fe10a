/**
 * The graph IR: the verifier (on every example and fixture, and against broken graphs), each pass doing what it says,
 * inferred shapes, `dumpAfter`, determinism, and the lowering of the census example to its job.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { compileProgram, nodeHost, type Compilation, type Host } from '../../compiler/index.js';
import { buildGraph } from '../../compiler/ir/build.js';
import { cloneGraph, nodesOfKind, orderedPredecessors, PLAN_NODE, type IrGraph, type IrNode } from '../../compiler/ir/graph.js';
import { optimize, optionalPasses, passes, passNames, IrVerificationError } from '../../compiler/ir/pipeline.js';
import { verifyGraph } from '../../compiler/ir/verify.js';
import { mergeIdenticalLayers } from '../../compiler/ir/passes/merge-identical-layers.js';
import { validateJob } from '../../job/schema.js';
import { generateProgram, memoryHost as benchHost } from '../../bench/compile.js';
import { ROWS, compileSource, dataExists, repoRoot } from './harness.js';
import { fixtureFiles } from './fixture-runner.js';

/** Compiles with the IR verified; what this version's runtime does not run still compiles (these tests are about the IR). */
function compiled(source: string, options: Parameters<typeof compileSource>[1] = {}): Compilation {
  const c = compileSource(source, { ...options, options: { verifyIr: true, allowUnrunnable: true, ...options.options } });
  assert.deepEqual(c.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return c;
}

/** The graph as it is after the named pass. */
function graphAfter(source: string, pass: string): IrGraph {
  const c = compiled(source, { options: { dumpAfter: pass } });
  assert.ok(c.dumped, `a graph after ${pass}`);
  return c.dumped;
}

const ids = (graph: IrGraph, kind: IrNode['kind']) => nodesOfKind(graph, kind).map(([id]) => id).sort();
const layer = (graph: IrGraph, id: string) => {
  const node = graph.node(id);
  assert.equal(node?.kind, 'layer', id);
  return node as Extract<IrNode, { kind: 'layer' }>;
};

/** Every example program, with a host that says their data exists (the data files are built separately). */
function examplePrograms(): string[] {
  const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'data' ? [] : walk(full);
    return e.name.endsWith('.mtl') ? [full] : [];
  });
  return walk('examples').sort();
}


describe('IR verifier', () => {
  it('has the examples to check', () => {
    assert.ok(examplePrograms().length >= 6);
  });

  for (const file of examplePrograms()) {
    it(`holds before and after every pass on ${file}`, () => {
      const c = compileProgram({ file, host: dataExists }, { verifyIr: true, allowUnrunnable: true });
      assert.deepEqual(c.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
      assert.deepEqual(verifyGraph(c.graph!, { shapes: true }), []);
      assert.deepEqual(validateJob(c.job), []);
    });
  }

  it('holds on every fixture that compiles', () => {
    let checked = 0;
    for (const file of fixtureFiles()) {
      const c = compileProgram({ file }, { verifyIr: true, allowUnrunnable: true });
      if (!c.graph) continue;
      assert.deepEqual(verifyGraph(c.graph, { shapes: true }), [], file);
      checked++;
    }
    assert.ok(checked >= 15, `${checked} fixtures compiled`);
  });

  const base = `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
task a { features: f, target: age, head: regression, backbone: mlp(units: [4]) }`;
  const built = () => {
    const c = compiled(base);
    return buildGraph(c.checked!);
  };

  it('accepts a freshly built graph', () => {
    assert.deepEqual(verifyGraph(built()), []);
  });

  it('finds a head cut off from the plan, a layer without input, and shapes missing after inference', () => {
    const g = built();
    g.removeEdge('head:a', PLAN_NODE);
    g.removeEdge('input:f', 'layer:a.backbone/0');
    assert.deepEqual(verifyGraph(g, { shapes: true }), [
      'input:f: no shape',
      'layer:a.backbone/0: a dense layer has 0 inputs',
      'layer:a.backbone/0: no shape',
      'head:a: not connected to the plan',
    ]);
  });

  it('finds a forbidden edge and a cycle', () => {
    const g = built();
    g.setEdge('head:a', 'layer:a.backbone/0', {});
    const problems = verifyGraph(g);
    assert.ok(problems.includes('the graph has a cycle'), problems.join('; '));
    assert.ok(problems.includes('edge head:a → layer:a.backbone/0: head may not feed layer'), problems.join('; '));
  });

  it('finds a transform reading another dataset than it says', () => {
    const g = built();
    const transform = ids(g, 'transform')[0]!;
    g.setNode(transform, { ...(g.node(transform) as Extract<IrNode, { kind: 'transform' }>), dataset: 'other' });
    assert.deepEqual(verifyGraph(g).sort(), [`${transform}: reads dataset:rows, not dataset:other`, `input:f: transform ${transform} is from dataset other, not rows`].sort());
  });

  it('makes optimize throw, naming the pass, when a pass breaks an invariant', () => {
    const g = built();
    g.removeEdge('head:a', PLAN_NODE);
    assert.throws(() => optimize(g, { verify: true }), (e: unknown) => e instanceof IrVerificationError && /^IR invalid after build:\n {2}head:a: not connected to the plan/.test(e.message));
  });
});

describe('IR passes', () => {
  it('run in this order, each with a one-sentence doc', () => {
    assert.deepEqual(passNames(), ['eliminate-dead-tasks', 'eliminate-dead-nodes', 'merge-identical-transforms', 'merge-identical-layers', 'infer-shapes', 'onehot-lookup']);
    for (const pass of passes) assert.match(pass.doc, /^[a-z].+[^.]$/);
  });

  const deadTasks = `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
features lonely { dataset: rows, transforms: [normalize(hours)] }
dataset unread { files: "data/rows.arrow", columns: { x: float } }
features other { dataset: unread, transforms: [standardize(x)] }
task live { features: f, target: age, head: regression }
task weightless { features: f, target: hours, head: regression, weight: 0 }
task unstaged { features: lonely, target: label, head: regression, backbone: mlp(units: [4]) }
task elsewhere { features: other, target: x, head: regression }`;

  it('eliminate-dead-tasks drops tasks of weight 0 and tasks in no stage', () => {
    const g = graphAfter(`${deadTasks}
train { stages: [stage(tasks: [live, weightless, elsewhere], epochs: 1)], sampling: explicit(probs: { live: 0.5, weightless: 0.25, unstaged: 0.25, elsewhere: 0 }) }`, 'eliminate-dead-tasks');
    assert.deepEqual(ids(g, 'head'), ['head:live']);
  });

  it('eliminate-dead-tasks keeps a task of weight 0 when weights are not static', () => {
    const g = graphAfter(`${deadTasks}
train { weighting: equal() }`, 'eliminate-dead-tasks');
    assert.deepEqual(ids(g, 'head'), ['head:elsewhere', 'head:live', 'head:unstaged', 'head:weightless']);
  });

  it('eliminate-dead-nodes removes what fed only dead tasks: their transforms, inputs, layers and datasets', () => {
    const source = `${deadTasks}
train { stages: [stage(tasks: [live], epochs: 1)] }`;
    const before = graphAfter(source, 'eliminate-dead-tasks');
    assert.deepEqual(ids(before, 'input'), ['input:f', 'input:lonely', 'input:other']);
    const g = graphAfter(source, 'eliminate-dead-nodes');
    assert.deepEqual(g.nodes().sort(), ['dataset:rows', 'head:live', 'input:f', 'plan', 'transform:f/0']);
    const c = compiled(source);
    assert.deepEqual(c.job!.datasets.map((d) => d.name), ['rows']);
    assert.deepEqual(c.job!.tasks.map((t) => t.name), ['live']);
    assert.deepEqual(c.job!.training.stages, [{ tasks: ['live'], frozen: [], epochs: 1, steps: null }]);
  });

  const twoFeatureSets = `${ROWS}
features f { dataset: rows, transforms: [standardize(age), onehot(color, max_vocab: 10)] }
features g { dataset: rows, transforms: [onehot(color, max_vocab: 20), standardize(age)] }
task a { features: f, target: label, head: regression }
task b { features: g, target: hours, head: regression }`;

  it('merge-identical-transforms fits an identical transform once, feeding both inputs in their own order', () => {
    const g = graphAfter(twoFeatureSets, 'merge-identical-transforms');
    assert.deepEqual(ids(g, 'transform'), ['transform:rows.age.standardize', 'transform:rows.color.onehot', 'transform:rows.color.onehot.2']);
    assert.deepEqual(orderedPredecessors(g, 'input:f'), ['transform:rows.age.standardize', 'transform:rows.color.onehot']);
    assert.deepEqual(orderedPredecessors(g, 'input:g'), ['transform:rows.color.onehot.2', 'transform:rows.age.standardize']);
    const onehot = g.node('transform:rows.color.onehot.2') as Extract<IrNode, { kind: 'transform' }>;
    assert.deepEqual([onehot.transform, onehot.shape], [{ kind: 'onehot', maxVocab: 20, minCount: 1 }, [{ vocab: 'transform:rows.color.onehot.2' }]]);
  });

  it('the lowered job names merged features once and keeps each input\'s order', () => {
    const job = compiled(twoFeatureSets).job!;
    assert.deepEqual(job.features.map((f) => f.id), ['rows.age.standardize', 'rows.color.onehot', 'rows.color.onehot.2']);
    assert.deepEqual(job.inputs.map((i) => [i.id, i.features, i.shape]), [
      ['f', ['rows.age.standardize', 'rows.color.onehot'], [{ sum: [1, { vocab: 'rows.color.onehot' }] }]],
      ['g', ['rows.color.onehot.2', 'rows.age.standardize'], [{ sum: [1, { vocab: 'rows.color.onehot.2' }] }]],
    ]);
  });

  const depthShare = `${ROWS}
features f { dataset: rows, transforms: [standardize(age, hours)] }
backbone trunk = mlp(units: [16, 8])
task top { features: f, target: age, head: regression }
task low { features: f, target: label, head: regression, depth: 0 }
share both = hard(backbone: trunk, tasks: [low, top])`;

  it('the builder makes a layer once per parameters and input: the tasks of a share, at any depth, extend one chain', () => {
    const g = graphAfter(depthShare, 'eliminate-dead-tasks');
    assert.deepEqual(ids(g, 'layer'), ['layer:both/0', 'layer:both/1']);
    assert.deepEqual([layer(g, 'layer:both/0').tasks, layer(g, 'layer:both/1').tasks], [['low', 'top'], ['top']]);
    assert.deepEqual(orderedPredecessors(g, 'head:low'), ['layer:both/0']);
  });

  it('merge-identical-layers folds duplicated chains of a hand-built graph into one, uniting their tasks', () => {
    const g = graphAfter(depthShare, 'merge-identical-transforms');
    // Give `top` a copy of the chain it reads, as a builder without on-the-fly merging would.
    const copy = (id: string, from: string) => g.setNode(`${id}@top`, { ...layer(g, id), tasks: ['top'] }).setEdge(from, `${id}@top`, {});
    copy('layer:both/0', 'input:f');
    copy('layer:both/1', 'layer:both/0@top');
    g.removeEdge('layer:both/1', 'head:top');
    g.setEdge('layer:both/1@top', 'head:top', {});
    layer(g, 'layer:both/0').tasks = ['low'];
    g.removeNode('layer:both/1');
    assert.deepEqual(ids(g, 'layer'), ['layer:both/0', 'layer:both/0@top', 'layer:both/1@top']);
    const merged = mergeIdenticalLayers.run(g);
    assert.deepEqual(ids(merged, 'layer'), ['layer:both/0', 'layer:both/1']);
    assert.deepEqual([layer(merged, 'layer:both/0').tasks, layer(merged, 'layer:both/1').tasks], [['low', 'top'], ['top']]);
    assert.deepEqual([orderedPredecessors(merged, 'layer:both/1'), orderedPredecessors(merged, 'head:top')], [['layer:both/0'], ['layer:both/1']]);
    assert.deepEqual(verifyGraph(merged), []);
  });

  it('eliminate-dead-nodes takes a dead task out of the tasks of the shared layers that stay', () => {
    const source = `${depthShare}\ntrain { stages: [stage(tasks: [top], epochs: 1)] }`;
    const g = graphAfter(source, 'eliminate-dead-nodes');
    assert.deepEqual([layer(g, 'layer:both/0').tasks, layer(g, 'layer:both/1').tasks], [['top'], ['top']]);
    assert.deepEqual(compiled(source).job!.modules.map((m) => [m.id, m.tasks]), [['both', ['top']]]);
  });

  it('merge-identical-layers gives two tasks of a hard share one layer chain, the shallow head at depth 0', () => {
    const g = graphAfter(depthShare, 'merge-identical-layers');
    assert.deepEqual(ids(g, 'layer'), ['layer:both/0', 'layer:both/1']);
    assert.deepEqual([layer(g, 'layer:both/0').tasks, layer(g, 'layer:both/1').tasks], [['low', 'top'], ['top']]);
    assert.deepEqual(orderedPredecessors(g, 'layer:both/1'), ['layer:both/0']);
    assert.deepEqual(orderedPredecessors(g, 'head:low'), ['layer:both/0']);
    assert.deepEqual(orderedPredecessors(g, 'head:top'), ['layer:both/1']);
    const job = compiled(depthShare).job!;
    assert.deepEqual(job.modules.map((m) => [m.id, m.from, m.layers.length, m.tasks]), [['both', [{ input: 'f' }], 2, ['low', 'top']]]);
    assert.deepEqual(job.tasks.map((t) => [t.name, t.from]), [['low', { module: 'both', layer: 0 }], ['top', { module: 'both', layer: 1 }]]);
  });

  it('merge-identical-layers leaves per-task columns (soft sharing) apart', () => {
    const g = graphAfter(depthShare.replace('hard(', 'soft('), 'merge-identical-layers');
    assert.deepEqual(ids(g, 'layer'), ['layer:both.low/0', 'layer:both.top/0', 'layer:both.top/1']);
  });

  it('merge-identical-layers keeps a shared layer per input when sharers read different inputs', () => {
    const g = graphAfter(`${ROWS}
dataset more { files: "data/rows.arrow", columns: { age: float, hours: int } }
features f { dataset: rows, transforms: [standardize(age, hours)] }
features g { dataset: more, transforms: [standardize(age, hours)] }
backbone trunk = mlp(units: [4])
task a { features: f, target: age, head: regression }
task b { features: g, target: hours, head: regression }
task c { features: f, target: label, head: regression }
share s = hard(backbone: trunk, tasks: [a, b, c])`, 'merge-identical-layers');
    assert.deepEqual(ids(g, 'layer'), ['layer:s/0', 'layer:s/0@b']);
    assert.deepEqual([layer(g, 'layer:s/0').tasks, layer(g, 'layer:s/0@b').tasks], [['a', 'c'], ['b']]);
    assert.deepEqual([orderedPredecessors(g, 'layer:s/0'), orderedPredecessors(g, 'layer:s/0@b')], [['input:f'], ['input:g']]);
  });

  it('infer-shapes gives every input and layer its exact per-row shape', () => {
    const c = compiled(`${ROWS}
features text { dataset: rows, transforms: [tokens(words, max_length: 8)] }
features img { dataset: rows, transforms: [image(pixels, shape: [28, 28, 1])] }
features vec { dataset: rows, transforms: [standardize(age, hours), onehot(color, max_vocab: 10)] }
task tag { features: text, target: tags, head: tagging, backbone: lstm(units: 16, bidirectional: true, embed_dim: 12) }
task enc { features: text, target: label, head: multiclass, backbone: sequential(transformer_encoder(layers: 1, dim: 32), pool(op: max)) }
task pic { features: img, target: label, head: multiclass(classes: 10), backbone: cnn(filters: [8, 16], pool: 2) }
task map { features: img, target: heads, head: dense(classes: 3), backbone: cnn(filters: [4], flatten: false) }
task v { features: vec, target: age, head: regression, backbone: mlp(units: [32, 8]) }`);
    const g = c.graph!;
    const shape = (id: string) => (g.node(id) as { shape: unknown }).shape;
    assert.deepEqual(shape('input:text'), [8]);
    assert.deepEqual(shape('input:img'), [28, 28, 1]);
    assert.deepEqual(shape('input:vec'), [{ sum: [2, { vocab: 'transform:rows.color.onehot' }] }]);
    const chain = (owner: string) => ids(g, 'layer').filter((id) => id.startsWith(`layer:${owner}/`)).sort((a, b) => layer(g, a).index - layer(g, b).index).map(shape);
    assert.deepEqual(chain('tag.backbone'), [[8, 12], [8, 32]]);
    assert.deepEqual(chain('enc.backbone'), [[8, 32], [8, 32], [8, 32], [32]]); // embedding, positions, a layer, pool
    // Each cnn block: conv2d, batch_norm, pool2d.
    assert.deepEqual(chain('pic.backbone'), [[28, 28, 8], [28, 28, 8], [14, 14, 8], [14, 14, 16], [14, 14, 16], [7, 7, 16], [784]]);
    assert.deepEqual(chain('map.backbone'), [[28, 28, 4], [28, 28, 4], [14, 14, 4]]);
    assert.deepEqual(chain('v.backbone'), [[32], [8]]);
    const heads = Object.fromEntries(c.job!.tasks.map((t) => [t.name, t.head.units]));
    assert.deepEqual(heads, { enc: { classes: 'enc' }, map: 3, pic: 10, tag: { classes: 'tag' }, v: 1 });
  });

  it('infer-shapes sizes an MMoE mixture like one expert', () => {
    const job = compiled(`${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
task a { features: f, target: age, head: regression }
task b { features: f, target: hours, head: regression }
share s = mmoe(expert: mlp(units: [6, 5]), experts: 2, tasks: [a, b])`).job!;
    assert.deepEqual(job.modules.map((m) => [m.id, m.from, m.shapes]), [
      ['s.expert0', [{ input: 'f' }], [[6], [5]]], ['s.expert1', [{ input: 'f' }], [[6], [5]]],
      ['s.gate.a', [{ input: 'f' }], [[2]]], ['s.gate.b', [{ input: 'f' }], [[2]]],
      ['s.mix.a', [], [[5]]], ['s.mix.b', [], [[5]]],
    ]);
    assert.deepEqual(job.modules.find((m) => m.id === 's.mix.a')!.layers, [{ kind: 'mixture', experts: ['s.expert0', 's.expert1'], gate: 's.gate.a' }]);
  });
});

describe('onehot-lookup', () => {
  const program = (rest: string) => `${ROWS}
features f { dataset: rows, transforms: [standardize(age), onehot(color, part)] }
features numbers { dataset: rows, transforms: [standardize(age, hours)] }
${rest}`;
  const lookups = (c: Compilation) => Object.fromEntries(c.job!.inputs.map((i) => [i.id, i.lookup ?? false]));

  it('marks a vector input with one-hot features whose every reader is a dense layer: hard sharing, mmoe', () => {
    const hard = compiled(program(`task a { features: f, target: age, head: regression }
task b { features: f, target: hours, head: regression }
share s = hard(backbone: mlp(units: [4]), tasks: [a, b])`));
    assert.deepEqual(lookups(hard), { f: true });
    const mmoe = compiled(program(`task a { features: f, target: age, head: regression }
task b { features: f, target: hours, head: regression }
share s = mmoe(expert: mlp(units: [4]), experts: 2, tasks: [a, b])`));
    assert.deepEqual(lookups(mmoe), { f: true });
  });

  it('leaves alone an input without one-hot features, one a head reads directly, and one a cross-stitch unit reads', () => {
    assert.deepEqual(lookups(compiled(program('task a { features: numbers, target: age, head: regression, backbone: mlp(units: [4]) }'))), { numbers: false });
    assert.deepEqual(lookups(compiled(program('task a { features: f, target: age, head: regression }'))), { f: false });
    const stitched = compiled(program(`task a { features: f, target: age, head: regression }
task b { features: f, target: hours, head: regression }
share s = cross_stitch(backbone: mlp(units: [4, 4]), tasks: [a, b])`));
    assert.deepEqual(lookups(stitched), { f: false });
  });

  it('is the one pass --no-opt may leave out', () => {
    assert.deepEqual([...optionalPasses], ['onehot-lookup']);
  });

  it('is left out with noOpt, and only optional passes can be', () => {
    const source = program('task a { features: f, target: age, head: regression, backbone: mlp(units: [4]) }');
    assert.deepEqual(lookups(compiled(source)), { f: true });
    assert.deepEqual(lookups(compiled(source, { options: { noOpt: ['onehot-lookup'] } })), { f: false });
    assert.deepEqual(lookups(compiled(source, { options: { noOpt: ['infer-shapes'] } })), { f: true });
  });
});

describe('dumpAfter', () => {
  const source = `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }
backbone trunk = mlp(units: [4])
task a { features: f, target: age, head: regression }
task b { features: f, target: hours, head: regression }
share s = hard(backbone: trunk, tasks: [a, b])`;

  it('hands back the graph as it was after that pass, untouched by the passes after it', () => {
    const c = compiled(source, { options: { dumpAfter: 'eliminate-dead-tasks' } });
    assert.deepEqual(ids(c.dumped!, 'transform'), ['transform:f/0']);
    assert.equal(layer(c.dumped!, 'layer:s/0').shape, null);
    assert.deepEqual(ids(c.graph!, 'transform'), ['transform:rows.age.standardize']);
    assert.deepEqual(layer(c.graph!, 'layer:s/0').shape, [4]);
  });

  it('is null when not asked, and for a name that is no pass', () => {
    assert.equal(compiled(source).dumped, null);
    assert.equal(compiled(source, { options: { dumpAfter: 'no-such-pass' } }).dumped, null);
  });

  it('after the last pass, equals the final graph', () => {
    const c = compiled(source, { options: { dumpAfter: 'infer-shapes' } });
    assert.deepEqual(c.dumped!.nodes().map((id) => [id, c.dumped!.node(id)]), c.graph!.nodes().map((id) => [id, c.graph!.node(id)]));
    assert.notEqual(c.dumped, c.graph);
  });

  it('cloneGraph copies labels deeply', () => {
    const g = compiled(source).graph!;
    const copy = cloneGraph(g);
    layer(copy, 'layer:s/0').tasks.push('x');
    assert.deepEqual(layer(g, 'layer:s/0').tasks, ['a', 'b']);
  });
});

describe('determinism', () => {
  it('compiling one program twice gives byte-identical jobs and graphs', () => {
    for (const file of ['examples/census/census-soft-adapters.mtl', 'examples/ud/ud.mtl', 'examples/census/census-mmoe.mtl']) {
      const one = compileProgram({ file, host: dataExists }, { allowUnrunnable: true });
      const two = compileProgram({ file, host: dataExists }, { allowUnrunnable: true });
      assert.equal(JSON.stringify(one.job), JSON.stringify(two.job), file);
      assert.deepEqual(one.graph!.nodes(), two.graph!.nodes());
    }
  });

  it('the job does not depend on the order of declarations (except the source hash)', () => {
    const parts = [
      ROWS,
      'features f { dataset: rows, transforms: [standardize(age), onehot(color)] }',
      'backbone trunk = mlp(units: [8, 4])',
      'task b { features: f, target: hours, head: regression, tower: mlp(units: [2]) }',
      'task a { features: f, target: label == 1, head: binary }',
      'share s = hard(backbone: trunk, tasks: [b, a])',
      'train { task_lr: { b: 0.5, a: 2 }, sampling: explicit(probs: { b: 0.5, a: 0.5 }) }',
    ];
    const forward = compiled(parts.join('\n')).job!;
    const backward = compiled([...parts].reverse().join('\n')).job!;
    const withoutSource = (j: typeof forward) => JSON.stringify({ ...j, source: null });
    assert.equal(withoutSource(forward), withoutSource(backward));
    assert.deepEqual(Object.keys(forward.training.taskLr), ['a', 'b']);
  });

  it('the benchmark\'s generated programs compile cleanly to every task', () => {
    for (const [n, shape] of [[10, 'mixed'], [100, 'mixed'], [10, 'one-share'], [100, 'one-share']] as const) {
      const text = generateProgram(n, shape);
      assert.equal(generateProgram(n, shape), text);
      const c = compileProgram({ file: 'bench.mtl', text, host: benchHost('bench.mtl', text) }, { verifyIr: true });
      assert.deepEqual(c.diagnostics, []);
      assert.equal(c.job!.tasks.length, n);
      assert.deepEqual(validateJob(c.job), []);
    }
  });
});

describe('lowering census', () => {
  const c = compileProgram({ file: 'examples/census/census.mtl', host: dataExists }, { verifyIr: true });
  const job = c.job!;

  it('has one dataset read from the program\'s directory, every column, and the 50/25/25 split', () => {
    assert.deepEqual(c.diagnostics, []);
    assert.equal(job.root, path.join(repoRoot, 'examples', 'census'));
    assert.deepEqual(job.source.file, 'census.mtl');
    assert.deepEqual(job.datasets.map((d) => [d.name, d.files, d.columns.length, d.split]), [
      ['census', ['data/census-income.arrow'], 41, { kind: 'ratio', train: 0.5, valid: 0.25, test: 0.25, seed: 17 }],
    ]);
  });

  it('has 7 standardized and 32 one-hot features in one input', () => {
    assert.equal(job.features.length, 39);
    assert.equal(job.features.filter((f) => f.transform.kind === 'standardize').length, 7);
    assert.deepEqual(job.inputs.map((i) => [i.id, i.kind, i.features.length, i.features.slice(0, 2)]), [['person', 'vector', 39, ['census.age.standardize', 'census.wage_per_hour.standardize']]]);
    const shape = job.inputs[0]!.shape[0] as { sum: unknown[] };
    assert.equal(shape.sum[0], 7);
    assert.equal(shape.sum.length, 33);
  });

  it('has one hard-shared module, read by both tasks', () => {
    assert.deepEqual(job.modules, [{
      id: 'shared_trunk', backbone: 'trunk', share: 'shared_trunk', from: [{ input: 'person' }],
      layers: [{ kind: 'dense', units: 128, activation: 'relu', dropout: 0 }, { kind: 'dense', units: 64, activation: 'relu', dropout: 0 }],
      shapes: [[128], [64]], tasks: ['income', 'never_married'], sharing: { kind: 'hard' },
    }]);
  });

  it('has its two binary tasks with their label expressions, and one batch group', () => {
    assert.deepEqual(job.tasks, [
      {
        name: 'income', dataset: 'census', input: 'person', from: { module: 'shared_trunk', layer: 1 }, target: { op: '==', args: [{ col: 'income_50k' }, { lit: '50000+.' }] },
        targetType: 'bool', head: { kind: 'binary', units: 1, classes: 'index' }, loss: 'bce', metrics: ['auc', 'accuracy', 'logloss'], weight: 1,
      },
      {
        name: 'never_married', dataset: 'census', input: 'person', from: { module: 'shared_trunk', layer: 1 }, target: { op: '==', args: [{ col: 'marital_stat' }, { lit: 'Never married' }] },
        targetType: 'bool', head: { kind: 'binary', units: 1, classes: 'index' }, loss: 'bce', metrics: ['auc', 'accuracy', 'logloss'], weight: 1,
      },
    ]);
    assert.deepEqual(job.batchGroups, [{ dataset: 'census', input: 'person', tasks: ['income', 'never_married'] }]);
  });

  it('has the training plan of its train block, defaults filled in', () => {
    assert.deepEqual(job.training, {
      optimizer: { kind: 'adam', lr: { kind: 'constant', lr: 0.002 }, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0, clipNorm: null, normalizeTaskGradients: false },
      taskLr: {}, batchSize: 512, seed: 7, sampling: { kind: 'proportional' }, weighting: { kind: 'static' }, aggregation: { kind: 'sum' },
      stages: [{ tasks: ['income', 'never_married'], frozen: [], epochs: 4, steps: null }],
      selection: {
        kind: 'best', metric: 'auc', task: 'mean', mode: 'max', patience: 2,
        objectives: [{ task: 'income', metric: 'auc', mode: 'max' }, { task: 'never_married', metric: 'auc', mode: 'max' }],
      },
      evalEvery: 1, conflictsEvery: 0, shuffleBuffer: 8192,
      accept: { kind: 'no_regression', maxDrop: 0.01, split: 'test' },
    });
  });
});
