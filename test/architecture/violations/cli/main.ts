// cli may import both sides
import { loadRuntime } from '../compiler/compile.js';
import { train } from '../runtime/train.js';
export const main = () => [loadRuntime, train];
