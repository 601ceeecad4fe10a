// job → grammar
import { keywords } from '../grammar/tokens.js';
export const job = { keywords };
