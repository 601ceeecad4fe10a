// stdlib → compiler
import type { DeclarationKind } from '../compiler/ast.js';
export const kinds: DeclarationKind[] = ['task'];
