// graph → passes → graph: a cycle
import { passes } from './passes.js';
export const graph = () => passes;
