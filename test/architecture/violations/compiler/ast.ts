export type DeclarationKind = 'task';
