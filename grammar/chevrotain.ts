/**
 * chevrotain, loaded from the single-file bundle its package ships (`lib/chevrotain.mjs`) instead of its package
 * entry: the entry is hundreds of small ES modules (its own and lodash-es's), and resolving them took ~400 ms of
 * every `mtl` start, the bundle ~30 ms. The bundle is built from the same sources; its package's `exports` do not
 * name it, so it is found beside the entry.
 */
type Chevrotain = typeof import('chevrotain');

const bundle = new URL('../chevrotain.mjs', import.meta.resolve('chevrotain'));
const chevrotain = (await import(bundle.href)) as Chevrotain;

export const { createToken, Lexer, CstParser } = chevrotain;
