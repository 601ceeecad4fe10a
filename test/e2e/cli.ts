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

/** Two tasks (binary, regression) of the tiny fixture table through one hard-shared MLP, with the given `train` fields. */
export function tinyTwoTaskProgram(train: string): string {
  return `dataset rows {
  files: ${JSON.stringify(path.join(repoRoot, 'test/fixtures/data/tiny.arrow'))}
  columns: { age: float, hours: int, label: int, flag: bool, color: string }
  split: ratio(train: 0.5, valid: 0.5, test: 0)
}
features person { dataset: rows, transforms: [standardize(age, hours), onehot(color)] }
task flagged { features: person, target: flag, head: binary }
task hours_left { features: person, target: hours, head: regression }
share both = hard(backbone: mlp(units: [4]), tasks: [flagged, hours_left])
train { ${train} }
`;
}
