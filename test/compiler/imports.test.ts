/**
 * Imports (issue 12): an imported task trains only when the entry file names it; `CompileOptions.root` confines
 * everything the compiler reads to a directory, symlinks and `..` resolved; an imported file that is not a program is
 * never quoted; and the file system host reads only regular files, boundedly, whatever the path names.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { check, compile, nodeHost, parse, render, Codes, type Host } from '../../compiler/index.js';
import { memoryHost } from './harness.js';

const TINY = path.resolve('test/fixtures/data/tiny.arrow');
const LIBRARY = `dataset rows {
  files: "tiny.arrow"
  columns: { age: float, hours: int, label: int, flag: bool, color: string }
}
features person { dataset: rows, transforms: [standardize(age), onehot(color)] }
task positive { features: person, target: label == 1, head: binary }
task long_hours { features: person, target: hours, head: regression }
task flagged { features: person, target: flag, head: binary }
`;

const tasksOf = (file: string) => compile(file).value?.tasks.map((t) => t.name);
const codes = (result: { diagnostics: readonly { code: string }[] }) => result.diagnostics.map((d) => d.code);

describe('which tasks a program trains', () => {
  it('each census example trains what its comment says, and no task of census-data.mtl it does not name', () => {
    const expected: Record<string, string[]> = {
      'census.mtl': ['income', 'never_married'],
      'census-data.mtl': ['education_level', 'income', 'never_married'],
      'census-baseline.mtl': ['income', 'never_married'],
      'census-mmoe.mtl': ['income', 'never_married'],
      'census-ple.mtl': ['income', 'never_married'],
      'census-cgc.mtl': ['income', 'never_married'],
      'census-mtan.mtl': ['income', 'never_married'],
      'census-mmoe-routed.mtl': ['income', 'never_married'],
      'census-moe.mtl': ['income', 'never_married'],
      'census-cross-stitch.mtl': ['data.education_level', 'data.never_married'],
      'census-soft-adapters.mtl': ['education_coarse', 'education_level', 'income', 'never_married'],
      'census-balancing.mtl': ['education_level', 'income', 'never_married'],
      'census-esmm.mtl': ['married', 'married_and_rich', 'rich_if_married'],
      'census-two-surveys.mtl': ['income', 'never_married'],
      'census-lora.mtl': ['income', 'never_married'],
      'census-add-task.mtl': ['education_level', 'income', 'never_married'],
    };
    assert.deepEqual(fs.readdirSync('examples/census').filter((f) => f.endsWith('.mtl')).sort(), Object.keys(expected).sort());
    for (const [file, tasks] of Object.entries(expected)) assert.deepEqual(tasksOf(path.join('examples/census', file)), tasks, file);
  });

  it('names imported tasks in `train`\'s `tasks`, a share, or elsewhere in `train`; the others stay in the library', () => {
    const host = memoryHost({ '/p/lib.mtl': LIBRARY, '/p/tiny.arrow': '' });
    const trained = (text: string) => compile({ file: '/p/main.mtl', text, host }).value?.tasks.map((t) => t.name);
    assert.deepEqual(trained('import "lib.mtl"\ntrain { tasks: [flagged] }'), ['flagged']);
    assert.deepEqual(trained('import "lib.mtl"\nshare s = hard(backbone: mlp(units: [4]), tasks: [positive, flagged])'), ['flagged', 'positive']);
    assert.deepEqual(trained('import "lib.mtl"\ntrain { task_lr: { long_hours: 2 } }'), ['long_hours']);
    assert.deepEqual(trained('import "lib.mtl"\ntrain { stages: [stage(tasks: [positive], epochs: 1)] }'), ['positive']);
    assert.deepEqual(trained('import "lib.mtl" as lib\ntask own { features: lib.person, target: age, head: regression }\ntrain { select: best(task: lib.flagged) }'), ['lib.flagged', 'own']);
    // a task's `reads` and `product` name tasks too: their predictions are needed
    assert.deepEqual(trained('import "lib.mtl"\ntask own { features: person, target: age, head: regression, reads: [flagged] }'), ['flagged', 'own']);
  });

  it('a program that trains nothing says which imported tasks it could name', () => {
    const host = memoryHost({ '/p/lib.mtl': LIBRARY, '/p/tiny.arrow': '' });
    const result = check({ file: '/p/main.mtl', text: 'import "lib.mtl"\n', host });
    assert.deepEqual(result.diagnostics.map((d) => [d.code, d.message, d.help]), [[
      Codes.NoTasks, 'the program trains no task: it declares none, and names none of the tasks it imports',
      'an imported task trains only when this file names it: list the ones to train in `train { tasks: [...] }` or a share (imported: `positive`, `long_hours`, `flagged`)',
    ]]);
    const none = check({ file: '/p/main.mtl', text: 'train { epochs: 1 }\n', host });
    assert.deepEqual(none.diagnostics.map((d) => [d.code, d.message]), [[Codes.NoTasks, 'the program declares no task']]);
  });

  it('an unknown task in `tasks` gets a did-you-mean over the imported tasks', () => {
    const host = memoryHost({ '/p/lib.mtl': LIBRARY, '/p/tiny.arrow': '' });
    const result = check({ file: '/p/main.mtl', text: 'import "lib.mtl"\ntrain { tasks: [positive, long_hour] }', host });
    assert.deepEqual(result.diagnostics.map((d) => [d.code, d.message, d.help]), [[Codes.UnknownName, 'unknown task `long_hour`', 'did you mean `long_hours`?']]);
  });
});

describe('an imported file that is not a program', () => {
  it('is refused at the import without quoting a line of it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-not-program-'));
    try {
      fs.writeFileSync(path.join(dir, 'secrets.txt'), 'root:x:0:0:secret-token-123:/root:/bin/bash\n');
      fs.writeFileSync(path.join(dir, 'main.mtl'), 'import "secrets.txt"\n');
      const result = check(path.join(dir, 'main.mtl'));
      assert.deepEqual(codes(result), [Codes.NotAProgram]);
      assert.equal(result.sources.has(path.join(dir, 'secrets.txt')), false);
      assert.doesNotMatch(render(result) + JSON.stringify(result.diagnostics), /secret-token|root:x/);
      if (fs.existsSync('/etc/passwd')) {
        const passwd = check({ file: path.join(dir, 'main.mtl'), text: 'import "/etc/passwd"\n' });
        assert.deepEqual(codes(passwd), [Codes.NotAProgram]);
        assert.doesNotMatch(render(passwd), /root:/);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('while an imported `.mtl` program with a syntax error is shown where the error is', () => {
    const host = memoryHost({ '/p/lib.mtl': 'tsk t { }\n' });
    const result = check({ file: '/p/main.mtl', text: 'import "lib.mtl"\n', host });
    assert.deepEqual(result.diagnostics.map((d) => [d.code, d.primary.span.file]), [[Codes.ParseError, '/p/lib.mtl']]);
  });
});

describe('CompileOptions.root', () => {
  let base: string;
  let root: string;
  let outside: string;
  before(() => {
    base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-root-')));
    root = path.join(base, 'root');
    outside = path.join(base, 'outside');
    fs.mkdirSync(path.join(root, 'shards'), { recursive: true });
    fs.mkdirSync(path.join(root, 'clean'));
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'lib.mtl'), LIBRARY);
    fs.copyFileSync(TINY, path.join(outside, 'tiny.arrow'));
    fs.copyFileSync(TINY, path.join(root, 'tiny.arrow'));
    fs.copyFileSync(TINY, path.join(root, 'shards', 'a.arrow'));
    fs.copyFileSync(TINY, path.join(root, 'clean', 'a.arrow'));
    fs.writeFileSync(path.join(root, 'lib.mtl'), LIBRARY);
    fs.symlinkSync(path.join(outside, 'lib.mtl'), path.join(root, 'linked-lib.mtl'));
    fs.symlinkSync(path.join(outside, 'tiny.arrow'), path.join(root, 'linked.arrow'));
    fs.symlinkSync(path.join(outside, 'tiny.arrow'), path.join(root, 'shards', 'b.arrow'));
    fs.symlinkSync(outside, path.join(root, 'out-dir'));
  });
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  const program = (imports: string, files = 'tiny.arrow') => `${imports}
dataset own {
  files: "${files}"
  columns: { age: float }
}
features f { dataset: own, transforms: [standardize(age)] }
task t { features: f, target: age, head: regression }
`;
  /** A host that records every path its reads, globs and footers are asked for. */
  const spied = () => {
    const asked: string[] = [];
    const inner = nodeHost();
    const host: Host = {
      readFile: (f) => (asked.push(path.resolve(f)), inner.readFile(f)),
      glob: (p, cwd) => (asked.push(path.resolve(cwd, p)), inner.glob(p, cwd)),
      arrowSchema: (f) => (asked.push(path.resolve(f)), inner.arrowSchema!(f)),
    };
    return { host, asked };
  };
  const compileIn = (text: string, host?: Host) => compile({ file: path.join(root, 'main.mtl'), text, ...(host ? { host } : {}) }, { root });
  const outsideRoot = (result: ReturnType<typeof compileIn>, text: string) => result.diagnostics
    .filter((d) => d.code === Codes.OutsideRoot)
    .map((d) => [text.slice(d.primary.span.start, d.primary.span.end), d.message]);

  it('compiles a program whose imports and data are inside it, `..` that stays inside included', () => {
    const result = compileIn(program('import "shards/../lib.mtl"\ntrain { tasks: [positive] }', 'clean/*.arrow'));
    assert.deepEqual(codes(result), []);
    assert.deepEqual(result.value?.datasets.map((d) => [d.name, d.files]), [['own', ['clean/a.arrow']], ['rows', ['tiny.arrow']]]);
  });

  it('refuses imports outside it, by `..`, absolute path or symlink, naming the root, without opening them', () => {
    for (const imported of ['../outside/lib.mtl', path.join(outside, 'lib.mtl'), 'linked-lib.mtl', 'out-dir/lib.mtl']) {
      const { host, asked } = spied();
      const text = program(`import "${imported}"`);
      const result = compileIn(text, host);
      assert.deepEqual(outsideRoot(result, text), [[`"${imported}"`, `imported file \`${imported}\` is outside the root directory \`${root}\``]], imported);
      assert.equal(asked.filter((f) => !f.startsWith(root + path.sep)).length, 0, asked.join(', '));
      assert.equal(asked.includes(path.join(root, 'linked-lib.mtl')), false);
      assert.match(result.diagnostics[0]!.help ?? '', /reads files under .* only \(symlinks and `\.\.` resolved\)/);
    }
  });

  it('refuses data files and globs outside it, and never reads their Arrow footers', () => {
    for (const files of ['../outside/tiny.arrow', path.join(outside, 'tiny.arrow'), 'linked.arrow', 'out-dir/*.arrow', 'shards/*.arrow', '../outside/*.arrow']) {
      const { host, asked } = spied();
      const text = program('', files);
      const result = compileIn(text, host);
      assert.deepEqual(outsideRoot(result, text), [[`"${files}"`, `\`${files}\` is outside the root directory \`${root}\``]], files);
      assert.deepEqual(codes(result), [Codes.OutsideRoot], files);
      // Globs inside the root are listed (that is how a link out is found); nothing outside is listed, read or decoded.
      assert.equal(asked.filter((f) => !f.startsWith(root + path.sep)).length, 0, `${files}: ${asked.join(', ')}`);
      assert.equal(asked.some((f) => f.endsWith('linked.arrow') || f.endsWith('b.arrow')), false, files);
    }
  });

  it('refuses an entry file outside it unless its text is given, and parse takes it too', () => {
    const entry = path.join(outside, 'lib.mtl');
    assert.deepEqual(codes(check(entry, { root })), [Codes.OutsideRoot]);
    assert.deepEqual(codes(parse(entry, { root })), [Codes.OutsideRoot]);
    assert.equal(parse(entry, { root }).value, null);
    assert.deepEqual(codes(parse(entry)), []);
  });

  it('a missing import inside it is still "cannot read", not outside', () => {
    assert.deepEqual(codes(compileIn(program('import "nowhere/../missing.mtl"'))), [Codes.ImportNotFound]);
  });

  it('mtl check and compile take --root', () => {
    const main = path.join(root, 'cli-main.mtl');
    fs.writeFileSync(main, program('import "linked-lib.mtl"'));
    const cli = path.resolve('dist/cli/main.js');
    const refused = spawnSync(process.execPath, [cli, 'check', main, '--root', root], { encoding: 'utf8' });
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /error\[MTL0009\]: imported file `linked-lib.mtl` is outside the root directory/);
    const unconfined = spawnSync(process.execPath, [cli, 'compile', main, '-o', path.join(base, 'job.json')], { encoding: 'utf8' });
    assert.equal(unconfined.status, 0, unconfined.stderr);
    const noDir = spawnSync(process.execPath, [cli, 'compile', main, '--root', path.join(base, 'nope')], { encoding: 'utf8' });
    assert.equal(noDir.status, 2);
    assert.match(noDir.stderr, /nope is not a directory/);
  });
});

describe('the file system host reads only regular files, and boundedly', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-host-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const importing = (target: string) => {
    const start = performance.now();
    const result = check({ file: path.join(dir, 'main.mtl'), text: `import "${target}"\n` });
    return { codes: codes(result), ms: performance.now() - start };
  };

  it('/dev/zero, a FIFO and a directory are "cannot read", at once', () => {
    assert.equal(spawnSync('mkfifo', [path.join(dir, 'fifo.mtl')]).status, 0);
    fs.mkdirSync(path.join(dir, 'dir.mtl'));
    for (const target of ['/dev/zero', 'fifo.mtl', 'dir.mtl']) {
      const { codes: found, ms } = importing(target);
      assert.deepEqual(found, [Codes.ImportNotFound], target);
      assert.ok(ms < 2_000, `${target}: ${ms} ms`);
    }
  });

  it('a 5 MB file is refused as too large, unparsed', () => {
    fs.writeFileSync(path.join(dir, 'big.mtl'), '// '.padEnd(5 * 1024 * 1024, 'x'));
    assert.deepEqual(importing('big.mtl').codes, [Codes.NotProgramText]);
  });

  it('a file growing while it is read is read up to its size when opened', async () => {
    const file = path.join(dir, 'growing.mtl');
    fs.writeFileSync(file, '// '.padEnd(5 * 1024 * 1024, 'x'));
    // 64 KB a millisecond at most, and 50 MB in all: growing for as long as the test could take, without filling the disk.
    const grow = `const fs = require('fs'); const chunk = 'x'.repeat(1 << 16); let n = 0;
      const timer = setInterval(() => { fs.appendFileSync(${JSON.stringify(file)}, chunk); if (++n === 800) clearInterval(timer); }, 1);`;
    const writer = spawn(process.execPath, ['-e', grow], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const { codes: found, ms } = importing('growing.mtl');
      assert.deepEqual(found, [Codes.NotProgramText]);
      assert.ok(ms < 5_000, `${ms} ms`);
    } finally {
      writer.kill();
    }
  });

  it('a data file that names a device or a directory matches no file', () => {
    const text = `dataset d { files: "/dev/zero", columns: { age: float } }
dataset e { files: "${dir}", columns: { age: float } }
features f { dataset: d, transforms: [standardize(age)] }
features g { dataset: e, transforms: [standardize(age)] }
task t { features: f, target: age, head: regression }
task u { features: g, target: age, head: regression }`;
    assert.deepEqual(codes(check({ file: path.join(dir, 'data.mtl'), text })), [Codes.NoData, Codes.NoData]);
  });
});

