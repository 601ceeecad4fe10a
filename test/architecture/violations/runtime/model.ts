// keeps the rules itself; serving reaches the training code through it
import { train } from './train.js';
export const models = [train];
