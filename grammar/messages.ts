/**
 * Parse-error wording: "expected X, found Y", naming tokens by their labels, never by internal names.
 * Rule names are described the way a user thinks of them.
 */
import type { IParserErrorMessageProvider, IToken, TokenType } from 'chevrotain';

const RULE_WORDS: Record<string, string> = {
  program: 'a declaration (dataset, features, backbone, task, share, train) or an import',
  declaration: 'a declaration (dataset, features, backbone, task, share, train)',
  record: "'{'",
  field: 'a field (`name: value`)',
  expression: 'a value',
  unary: 'a value',
  argument: 'an argument',
};

function label(type: TokenType): string {
  return type.LABEL ?? type.name;
}

export function describeToken(token: IToken): string {
  if (token.tokenType.name === 'EOF') return 'the end of the file';
  const kind = token.tokenType.LABEL && !token.tokenType.LABEL.startsWith("'") ? `${token.tokenType.LABEL} ` : '';
  return `${kind}\`${token.image}\``;
}

function alternatives(paths: TokenType[][][]): string {
  const firsts = new Set<string>();
  for (const perAlt of paths) for (const path of perAlt) if (path[0]) firsts.add(label(path[0]));
  const list = [...firsts];
  if (list.length <= 1) return list[0] ?? 'something else';
  return `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}`;
}

export const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    // Expecting the end of the file means: the program goes on with something that is not a declaration.
    if (expected.name === 'EOF') return `expected ${RULE_WORDS.program}, found ${describeToken(actual)}`;
    return `expected ${label(expected)}, found ${describeToken(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `expected ${RULE_WORDS.program}, found ${describeToken(firstRedundant)}`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, ruleName }) {
    const what = RULE_WORDS[ruleName] ?? alternatives(expectedPathsPerAlt);
    return `expected ${what}, found ${describeToken(actual[0]!)}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, ruleName }) {
    const what = RULE_WORDS[ruleName] ?? alternatives([expectedIterationPaths]);
    return `expected ${what}, found ${describeToken(actual[0]!)}`;
  },
};
