export { parseCst, type CstResult } from './parser.js';
export * as tokens from './tokens.js';
