/**
 * Elaboration (compiler/check/elaborate.ts): declarations and calls read against the stdlib catalog. Names, argument
 * matching, types, declaration forms and defaults; every case with its exact position.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROWS, compileSource, expectDiagnostics, labelAt, pos, single } from './harness.js';

// No rules: only what elaboration reports.
const noRules = { options: { only: [] as string[] } };
const prelude = `${ROWS}
features f { dataset: rows, transforms: [standardize(age)] }`;

describe('elaboration', () => {
  describe('names', () => {
    it('reports an unknown reference with did-you-mean from the declared names of that kind', () => {
      const source = `${prelude}
task t { features: g, target: age, head: regression }
task u { features: ff, target: age, head: regression }`;
      const c = expectDiagnostics(source, [
        { code: 'MTL0101', ...pos(source, 'features: g', 1, 'g'), message: 'unknown features `g`' },
        { code: 'MTL0101', ...pos(source, 'features: ff', 1, 'ff'), message: 'unknown features `ff`' },
      ], noRules);
      assert.deepEqual(c.diagnostics.map((d) => d.help), ['did you mean `f`?', 'did you mean `f`?']);
    });

    it('says when a name is declared, but as another kind', () => {
      const source = `${prelude}
backbone trunk = mlp(units: [4])
task t { features: trunk, target: age, head: regression, backbone: f }`;
      const c = expectDiagnostics(source, [
        { code: 'MTL0101', ...pos(source, 'trunk,'), message: 'unknown features `trunk`' },
        { code: 'MTL0101', ...pos(source, 'f }'), message: 'unknown backbone `f`' },
      ], noRules);
      assert.deepEqual(c.diagnostics.map((d) => d.help), ['`trunk` is a backbone, not a features', '`f` is a features, not a backbone']);
    });

    it('names every kind a reference may be, and suggests among all of them', () => {
      const source = `${prelude}
backbone trunk = mlp(units: [4])
task a { features: f, target: age, head: regression }
task b { features: f, target: hours, head: regression }
share joint = hard(backbone: trunk, tasks: [a, b])
train { stages: [stage(tasks: [a, b], freeze: [jiont], epochs: 1)] }`;
      const d = single(expectDiagnostics(source, [{ code: 'MTL0101', ...pos(source, 'jiont'), message: 'unknown backbone or share `jiont`' }], noRules));
      assert.equal(d.help, 'did you mean `joint`?');
    });

    it('suggests declaring a name when nothing of its kind exists', () => {
      const source = `${ROWS}
task t { features: f, target: age, head: regression }`;
      const d = single(expectDiagnostics(source, [{ code: 'MTL0101', ...pos(source, 'f,'), message: 'unknown features `f`' }], noRules));
      assert.equal(d.help, 'declare it: `features f ...`');
    });

    it('suggests stdlib constructors within a small edit distance, closest first', () => {
      const source = `${prelude}
task t { features: f, target: age, head: regresion }
task u { features: f, target: age, head: regression, loss: mme }`;
      const c = expectDiagnostics(source, [
        { code: 'MTL0101', ...pos(source, 'regresion'), message: 'unknown head `regresion`' },
        { code: 'MTL0101', ...pos(source, 'mme }'), message: 'unknown loss `mme`' },
      ], noRules);
      assert.deepEqual(c.diagnostics.map((d) => d.help), ['did you mean `regression`?', 'did you mean one of `mae`, `mse`?']);
    });

    it('points at the alias of an aliased import', () => {
      const source = `import "lib.mtl" as lib
task t { features: person, target: age, head: regression }`;
      const d = single(expectDiagnostics(source, [{ code: 'MTL0101', ...pos(source, 'person'), message: 'unknown features `person`' }], {
        ...noRules, files: { 'lib.mtl': `${ROWS}\nfeatures person { dataset: rows, transforms: [standardize(age)] }\n` },
      }));
      assert.equal(d.help, 'did you mean `lib.person`? names imported with `as` carry its prefix');
    });
  });

  describe('arguments', () => {
    it('reports an unknown argument with did-you-mean, or the list of parameters', () => {
      const source = `${prelude}
backbone a = mlp(units: [4], actvation: relu)
backbone b = mlp(units: [4], zzzzzz: 1)`;
      const c = expectDiagnostics(source, [
        { code: 'MTL0103', ...pos(source, 'actvation'), message: '`mlp` has no argument `actvation`' },
        { code: 'MTL0103', ...pos(source, 'zzzzzz'), message: '`mlp` has no argument `zzzzzz`' },
      ], noRules);
      assert.deepEqual(c.diagnostics.map((d) => d.help), ['did you mean `activation`?', 'its arguments are `units`, `activation`, `dropout`']);
    });

    it('reports an argument given twice, with the first as secondary span', () => {
      const source = `${prelude}
backbone a = mlp(units: [4], units: [8])`;
      const c = expectDiagnostics(source, [{ code: 'MTL0106', ...pos(source, 'units', 2), message: 'argument `units` is given twice' }], noRules);
      assert.deepEqual(labelAt(c, single(c).secondary[0]!.span), pos(source, 'units'));
    });

    it('points at a positional argument given again by name', () => {
      const source = `${prelude}
backbone a = mlp([4], units: [8])`;
      const c = expectDiagnostics(source, [{ code: 'MTL0106', ...pos(source, 'units'), message: 'argument `units` is given twice' }], noRules);
      assert.deepEqual(labelAt(c, single(c).secondary[0]!.span), pos(source, '[4]'));
    });

    it('reports a missing required argument at the call, saying what it is', () => {
      const source = `${prelude}
backbone a = mlp(dropout: 0.5)`;
      const d = single(expectDiagnostics(source, [{ code: 'MTL0105', ...pos(source, 'mlp('), message: '`mlp` needs an argument `units`' }], noRules));
      assert.equal(d.help, 'add `units: …` (a list of integers: units of each layer)');
    });

    it('reports a missing field at the declaration name', () => {
      const source = `${prelude}
task t { features: f, target: age }`;
      expectDiagnostics(source, [{ code: 'MTL0105', ...pos(source, 'task t', 1, 't'), message: 'task `t` needs a field `head`' }], noRules);
    });

    it('binds positional arguments in order, then reports extra ones', () => {
      const source = `${prelude}
backbone a = mlp([4], tanh, 0.1, 3)`;
      const d = single(expectDiagnostics(source, [{ code: 'MTL0108', ...pos(source, '3)'), message: '`mlp` takes at most 3 positional arguments' }], noRules));
      assert.equal(d.help, 'its parameters are `units`, `activation`, `dropout`');
      const c = compileSource(`${prelude}\nbackbone a = mlp([4], tanh, 0.1)`, noRules);
      const a = c.checked!.backbones.get('a')!.fields.value!;
      assert.ok(a.v === 'call');
      assert.deepEqual([a.args.units?.v, a.args.activation?.v === 'enum' && a.args.activation.name, a.args.dropout?.v === 'number' && a.args.dropout.n], ['list', 'tanh', 0.1]);
    });

    it('reports a positional argument after a named one, keeping a transform column', () => {
      const source = `${prelude}
features g { dataset: rows, transforms: [onehot(max_vocab: 5, color)] }
backbone a = mlp(units: [4], relu)`;
      expectDiagnostics(source, [
        { code: 'MTL0107', ...pos(source, 'color)'), message: 'a positional argument follows a named one' },
        { code: 'MTL0107', ...pos(source, 'relu'), message: 'a positional argument follows a named one' },
      ], noRules);
    });

    it('reports a transform without columns', () => {
      const source = `${prelude}
features g { dataset: rows, transforms: [standardize()] }`;
      expectDiagnostics(source, [{ code: 'MTL0112', ...pos(source, 'standardize()'), message: '`standardize` needs at least one column' }], noRules);
    });
  });

  describe('types', () => {
    const cases: [string, string, string][] = [
      ['weight: "1"', '"1"', 'expected a number, found a string'],
      ['depth: 1.5', '1.5', 'expected an integer, found a number'],
      ['head: 3', '3', 'expected a head, found an integer'],
      ['metrics: auc', 'auc', 'expected a list of metrics, found the name `auc`'],
      ['features: [f]', '[f]', 'expected a features name, found a list'],
      ['head: regression, tower: 4', '4', 'expected a backbone name or a backbone, found an integer'],
    ];
    for (const [field, at, message] of cases) {
      it(`${field}: ${message}`, () => {
        const source = `${prelude}
task t { target: age, ${field.startsWith('features') ? '' : 'features: f, '}${field.startsWith('head') ? '' : 'head: regression, '}${field} }`;
        expectDiagnostics(source, [{ code: 'MTL0104', ...pos(source, at), message }], noRules);
      });
    }

    it('says why a fraction is not an integer', () => {
      const source = `${prelude}\ntrain { batch_size: 12.5 }`;
      assert.equal(single(expectDiagnostics(source, [{ code: 'MTL0104', ...pos(source, '12.5') }], noRules)).primary.message, '`12.5` is not an integer');
    });

    it('reports a value outside an enumeration with the values it may take', () => {
      const source = `${prelude}\nbackbone a = mlp(units: [4], activation: relux)`;
      const d = single(expectDiagnostics(source, [{ code: 'MTL0101', ...pos(source, 'relux'), message: '`relux` is not one of `relu`, `tanh`, `sigmoid`, `gelu`, `linear`' }], noRules));
      assert.equal(d.help, 'did you mean one of `relu`, `gelu`?');
    });

    it('lists a long enumeration in the help when no value is close', () => {
      const source = `${prelude}\ntrain { select: best(metric: speed) }`;
      const d = single(expectDiagnostics(source, [{ code: 'MTL0101', ...pos(source, 'speed'), message: '`speed` is not one of the 11 accepted names' }], noRules));
      assert.equal(d.help, 'use one of `loss`, `auc`, `accuracy`, `macro_f1`, `logloss`, `mse`, `mae`, `pixel_accuracy`, `mean_iou`, `exact_match`, `token_f1`');
    });
  });

  describe('declarations', () => {
    it('reports a backbone or share written with a block, and a block declaration written with `=`', () => {
      const source = `${prelude}
backbone a { units: [4] }
share s { tasks: [] }
task t = regression`;
      expectDiagnostics(source, [
        { code: 'MTL0109', ...pos(source, 'backbone a', 1, 'backbone'), message: 'a backbone is written `backbone name = constructor(...)`' },
        { code: 'MTL0109', ...pos(source, 'share s', 1, 'share'), message: 'a share is written `share name = constructor(...)`' },
        { code: 'MTL0109', ...pos(source, 'task t', 1, 'task'), message: 'a task is written with a block: `task name { field: value ... }`' },
      ], noRules);
    });

    it('reports a declaration without a name instead of dropping it', () => {
      const source = `${prelude}
task { features: f, target: age, head: regression }
backbone = mlp(units: [2])`;
      const c = expectDiagnostics(source, [
        { code: 'MTL0110', ...pos(source, 'task {', 1, 'task'), message: 'a task needs a name' },
        { code: 'MTL0110', ...pos(source, 'backbone ='), message: 'a backbone needs a name' },
      ], noRules);
      assert.deepEqual(c.diagnostics.map((d) => d.help), ['name it: `task NAME { ... }`', 'name it: `backbone NAME = ...`']);
    });

    it('fills in defaults, marked implicit, located at the declaration', () => {
      const c = compileSource(`${prelude}\ntask t { features: f, target: age, head: regression }`, noRules);
      assert.deepEqual(c.diagnostics, []);
      const train = c.checked!.train;
      assert.ok(train.batch_size?.v === 'number' && train.batch_size.n === 256 && train.batch_size.implicit === true);
      assert.ok(train.optimizer?.v === 'call' && train.optimizer.ctor.name === 'adam' && train.optimizer.args.lr?.v === 'number' && train.optimizer.args.lr.n === 0.001);
      const split = c.checked!.datasets.get('rows')!.split;
      assert.ok(split.v === 'call' && split.implicit === true);
      assert.deepEqual(labelAt(c, split.span), pos(`${prelude}`, 'rows'));
    });
  });
});
