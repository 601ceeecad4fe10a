import * as path from 'node:path';

/** How a file is named in messages: relative to the working directory when it lies below it, else absolute. */
export function displayPath(absolutePath: string): string {
  const relative = path.relative(process.cwd(), absolutePath);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : absolutePath;
}
