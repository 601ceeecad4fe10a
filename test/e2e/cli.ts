/** Runs the built `mtl` command as a user would (tests run from the repository root after `tsc`). */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export const repoRoot = process.cwd();
export const mtlBin = path.join(repoRoot, 'dist/cli/main.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function mtl(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): CliResult {
  const result = spawnSync(process.execPath, [mtlBin, ...args], { cwd: options.cwd ?? repoRoot, encoding: 'utf8', timeout: options.timeoutMs ?? 300_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A user mistake is reported as one paragraph on stderr, never with a stack trace. */
export function looksLikeUserError(stderr: string): boolean {
  return /^error: /m.test(stderr) && !/\n\s+at .+:\d+:\d+/.test(stderr);
}
