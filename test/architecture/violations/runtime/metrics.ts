// a relative import that resolves to nothing
// @ts-expect-error the module does not exist
import { auc } from './auc.js';
export const metrics = [auc];
