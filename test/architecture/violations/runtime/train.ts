// runtime → compiler, through a type-only import
import type { DeclarationKind } from '../compiler/ast.js';
export const train = (kind: DeclarationKind) => kind;
