/**
 * Which tasks a program trains: the entry file's own, and the imported tasks the entry file names — in a share, in
 * `train`'s `tasks`, anywhere else in its `train` block (a stage, `task_lr`, `select`, explicit sampling), or in a task's
 * `reads` or `product`. Importing a file brings its declarations into scope, never its tasks into training: a library
 * may hold many.
 */
import { declarationFields } from '../../stdlib/index.js';
import type { Scope } from './scope.js';
import { walkTaskNames } from './walk.js';

export function trainedTasks(scope: Scope, entry: string): Set<string> {
  const trained = new Set<string>();
  for (const symbol of scope.symbols) {
    if (symbol.decl.span.file !== entry) continue;
    // A task's own fields name tasks too: those whose predictions it reads or multiplies (`reads`, `product`).
    if (symbol.kind === 'task') trained.add(symbol.name);
    walkTaskNames(symbol.fields, declarationFields[symbol.kind], (name) => trained.add(name));
  }
  return trained;
}

