/**
 * Confining a compilation to a root directory (`CompileOptions.root`): a service that compiles other people's programs
 * (a language server, a CI bot, an embedding application) lets them read imports and data files inside it only. A path
 * is compared after its symlinks and `..` are resolved, so neither a link nor `../..` leads out, and a file outside is
 * never opened: the confined host refuses it before its inner host is asked.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Host } from './host.js';

export class Root {
  /** The root's real path: symlinks resolved, as every path compared with it is. */
  readonly real: string;

  constructor(readonly dir: string, private readonly inner: Host) {
    this.real = realPath(path.resolve(dir));
  }

  /** Whether the file (absolute, or relative to the working directory), its links and `..` resolved, lies inside. */
  contains(file: string): boolean {
    const real = realPath(path.resolve(file));
    return real === this.real || real.startsWith(this.real.endsWith(path.sep) ? this.real : this.real + path.sep);
  }

  /**
   * Where a dataset's `files` pattern (relative to `cwd`) leads out of the root, or null when it stays inside: its
   * fixed part (for a plain path, the file itself), else the first match reached through a link that points out.
   */
  escape(pattern: string, cwd: string): string | null {
    const fixed = path.resolve(cwd, fixedPart(pattern));
    if (!this.contains(fixed)) return realPath(fixed);
    const outside = this.inner.glob(pattern, cwd).map((match) => path.resolve(cwd, match)).find((file) => !this.contains(file));
    return outside === undefined ? null : realPath(outside);
  }

  /** The inner host, reading, listing and decoding only what lies inside the root. */
  host(): Host {
    const { inner } = this;
    return {
      readFile: (file) => (this.contains(file) ? inner.readFile(file) : null),
      glob: (pattern, cwd) => (this.contains(path.resolve(cwd, fixedPart(pattern)))
        ? inner.glob(pattern, cwd).filter((match) => this.contains(path.resolve(cwd, match)))
        : []),
      ...(inner.arrowSchema ? { arrowSchema: (file: string) => (this.contains(file) ? inner.arrowSchema!(file) : null) } : {}),
    };
  }
}

/** The host a compilation reads through, confined to `dir` when one is given. */
export function confine(host: Host, dir: string | undefined): { host: Host; root: Root | null } {
  if (dir === undefined) return { host, root: null };
  const root = new Root(dir, host);
  return { host: root.host(), root };
}

/** The part of a glob before its first segment with a wildcard: the directory every match lies under. */
function fixedPart(pattern: string): string {
  const segments = pattern.split(/[\\/]/);
  const wild = segments.findIndex((s) => /[*?[\]{}()!]/.test(s));
  return wild === -1 ? pattern : segments.slice(0, wild).join('/') || '.';
}

/**
 * An absolute path with every symlink resolved, for a path that may not exist yet: its longest existing prefix is
 * resolved by the file system and the rest appended (a missing file cannot be a link, so it cannot lead elsewhere).
 */
export function realPath(absolute: string): string {
  try {
    return fs.realpathSync(absolute);
  } catch {
    const parent = path.dirname(absolute);
    return parent === absolute ? absolute : path.join(realPath(parent), path.basename(absolute));
  }
}
