/**
 * The fuzz campaign's reduced findings (issue 12): each input once threw, overflowed the stack or compiled to a job
 * holding a non-finite number; now each ends in a diagnostic. An exception inside the compiler comes back as
 * `internalError`, and the CLI says it is a bug in mtl (exit 70); `mtl … | head` exits quietly.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { compile, parse, Codes, type Host } from '../../compiler/index.js';

const codesOf = (text: string, file = '/p/main.mtl', host?: Host) => {
  const result = compile({ file, text, ...(host ? { host } : {}) });
  assert.equal(result.internalError, undefined, result.internalError?.stack);
  return result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);
};

describe('reduced fuzz findings end in a diagnostic', () => {
  it('1,000 and 100,000 nested parentheses: a nesting limit, no stack overflow', () => {
    for (const n of [1_000, 100_000]) assert.ok(codesOf(`task t { target: ${'('.repeat(n)}a${')'.repeat(n)} }`).includes(Codes.NestingTooDeep));
    assert.ok(codesOf(`task t { target: ${'-'.repeat(5_000)}a }`).includes(Codes.NestingTooDeep));
    assert.equal(parse({ file: 'deep.mtl', text: '['.repeat(10_000) }).diagnostics[0]?.code, Codes.NestingTooDeep);
  });

  it('`backbone n = p(.s)`: a syntax error, not a TypeError in did-you-mean', () => {
    assert.ok(codesOf('backbone n = p(.s)\n').includes(Codes.ParseError));
  });

  it('`lr: 1e309`: refused at the literal', () => {
    assert.deepEqual(codesOf('train { optimizer: adam(lr: 1e309) }'), [Codes.NumberTooLarge]);
  });

  it('binary and huge imports are refused at the import, unparsed and unquoted', () => {
    const files = new Map([['/p/bin.mtl', 'ARROW1\0\0\u0001'], ['/p/big.mtl', 'x'.repeat(5 * 1024 * 1024)], ['/p/bad.mtl', 'task \uFFFD']]);
    const host: Host = { readFile: (f) => files.get(f) ?? null, glob: () => [] };
    for (const name of ['bin', 'big', 'bad']) {
      const result = compile({ file: '/p/main.mtl', text: `import "${name}.mtl"\n`, host });
      const found = result.diagnostics.find((d) => d.code === Codes.NotProgramText);
      assert.ok(found, name);
      assert.deepEqual([found.primary.span.file, found.primary.span.start], ['/p/main.mtl', 7]);
    }
  });

  it('a UTF-8 BOM is accepted, offsets unchanged', () => {
    assert.deepEqual(parse({ file: 'bom.mtl', text: '\uFEFFbackbone b = mlp(units: [4])' }).diagnostics, []);
    assert.equal(parse({ file: 'bom.mtl', text: '\uFEFFbackbone b = mlp(units: [4])' }).value?.declarations[0]?.span.start, 1);
  });
});

describe('an exception inside the compiler', () => {
  it('is returned as internalError, never thrown', () => {
    const host: Host = { readFile: () => { throw new Error('boom'); }, glob: () => [] };
    const result = compile({ file: '/p/main.mtl', text: 'import "x.mtl"\n', host });
    assert.equal(result.value, null);
    assert.equal(result.internalError?.message, 'Error: boom');
  });
});

describe('the CLI', () => {
  const mtlBin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../cli/main.js');
  it('exits quietly when its reader closes the pipe', () => {
    const result = spawnSync('sh', ['-c', `"${process.execPath}" "${mtlBin}" stdlib | head -c 10 >/dev/null`], { encoding: 'utf8', timeout: 60_000 });
    assert.deepEqual([result.status, result.stderr], [0, '']);
  });
});
