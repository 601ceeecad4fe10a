/** What the compiler reads through: program files, globs of data files and Arrow footers (tests use an in-memory one). */
export interface Host {
  /** The file's text, or null when it cannot be read. */
  readFile(file: string): string | null;
  /** Files matching a glob relative to `cwd`, sorted. */
  glob(pattern: string, cwd: string): string[];
  /** An Arrow file's column types from its footer, or null when unreadable; a host without it skips the check against the data. */
  arrowSchema?(file: string): Map<string, string> | null;
}
