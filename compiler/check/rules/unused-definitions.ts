/**
 * A dataset, feature set or backbone that no task uses is probably a mistake (warning). Like every warning, shown
 * only for a program without errors (the diagnostics context sees to it): after an error, an unused definition is
 * usually what a misspelled or broken reference meant.
 */
import { Codes } from '../../diagnostics/codes.js';
import type { Rule } from '../rule.js';
import type { Symbol } from '../scope.js';
import { walkProgram } from '../walk.js';

export const unusedDefinitions: Rule = {
  name: 'unused-definitions',
  run(program, ctx) {
    const used = new Set<string>();
    walkProgram(program, (value) => {
      if (value.v === 'ref') used.add(`${value.to}:${value.name}`);
    });
    const entryFile = program.entry;
    const check = (symbol: Symbol, noun: string) => {
      // Definitions from imported files are a library's: only the entry file's are flagged.
      if (symbol.decl.span.file !== entryFile || used.has(`${symbol.kind}:${symbol.name}`)) return;
      ctx.report({
        code: Codes.UnusedDefinition, severity: 'warning', message: `${noun} \`${symbol.name}\` is never used`, span: symbol.decl.name?.span ?? symbol.decl.kindSpan,
        label: 'defined here', help: 'use it in a task or share, or remove it',
      });
    };
    for (const symbol of program.scope.ofKind('dataset')) check(symbol, 'dataset');
    for (const symbol of program.scope.ofKind('features')) check(symbol, 'features');
    for (const symbol of program.scope.ofKind('backbone')) check(symbol, 'backbone');
    for (const share of program.shares.values()) {
      if (share.symbol.decl.span.file === entryFile && share.tasks.length === 0 && share.call) {
        ctx.report({ code: Codes.UnusedDefinition, severity: 'warning', message: `share \`${share.name}\` has no tasks`, span: share.symbol.decl.name?.span ?? share.symbol.decl.kindSpan, label: 'shared by nothing', help: 'list the tasks that share it' });
      }
    }
  },
};
