import { graph } from './graph.js';
export const passes = [graph];
