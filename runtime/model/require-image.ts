import { UserError } from '../errors.js';

/** A layer that reads a feature map ([height, width, channels] per row) refuses anything else. */
export function requireImage(shape: readonly number[], where: string): [number, number, number] {
  if (shape.length !== 3) {
    throw new UserError(`${where} reads a [height, width, channels] feature map per row, but gets a [${shape.join(', ')}] tensor; declare the image's shape with three numbers, e.g. image(pixels, shape: [28, 28, 1])`);
  }
  return shape as [number, number, number];
}
