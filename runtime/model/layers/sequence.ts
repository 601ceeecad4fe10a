/** What layers over token sequences share: the shape they read, and the token mask of a batch. */
import { UserError } from '../../errors.js';

/** A layer over a sequence reads [length, width] per row. */
export function requireSequence(shape: readonly number[], where: string): void {
  if (shape.length !== 2) {
    throw new UserError(`${where} reads a sequence of vectors ([length, width] per row), but it is given [${shape.join(', ')}]`);
  }
}
