/** Graphviz DOT drawn as SVG by the `dot` program, when it is installed. */
import { spawnSync } from 'node:child_process';

/** The SVG, or why there is none: `dot` is not installed, or it refused the graph (its message). */
export function dotToSvg(dot: string): { svg: string } | { missing: true } | { failed: string } {
  const result = spawnSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) return { missing: true };
  if (result.status !== 0) return { failed: result.stderr.trim() };
  return { svg: result.stdout };
}
