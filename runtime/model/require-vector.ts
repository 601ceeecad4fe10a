import { UserError } from '../errors.js';

/** A layer or head that reads one vector per row refuses anything else, and says how to get one. */
export function requireVector(shape: readonly number[], what: string): void {
  if (shape.length !== 1) {
    throw new UserError(`${what} reads a [${shape.join(', ')}] tensor per row; add a flatten layer before it`);
  }
}
