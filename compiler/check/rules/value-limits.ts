/**
 * Every number a program writes is within the limits its parameter declares in the stdlib (a rate above 0, a
 * probability from 0 to 1, a size of at least 1, a list with enough items), and every layer index is a layer of
 * its backbone. Defaults are the stdlib's and never reported.
 */
import { Codes } from '../../diagnostics/codes.js';
import { describeLimits, withinLimits, type Limits, type Param } from '../../../stdlib/index.js';
import { describeType } from '../../../stdlib/types.js';
import type { Rule } from '../rule.js';
import type { DiagnosticsContext } from '../context.js';
import type { CheckedProgram } from '../model.js';
import type { ValueOf } from '../values.js';
import { backboneDepth } from '../backbone.js';
import { walkProgram, type Place } from '../walk.js';

/** How the number's parameter reads in a message: "`init`", "each of `units`", "`probs` of `income`". */
function subject(param: Param, place: Place): string {
  if (place.key !== null) return `\`${param.name}\` of \`${place.key}\``;
  return param.type.t === 'list' ? `each of \`${param.name}\`` : `\`${param.name}\``;
}

/** "a number between 0 and 1", "integers at least 1": what the parameter accepts, for the help line. */
function accepted(param: Param, limits: Limits): string {
  const many = param.type.t === 'list' || param.type.t === 'record';
  const word = /\bint(eger)?s?\b/.test(describeType(param.type)) ? (many ? 'integers' : 'an integer') : many ? 'numbers' : 'a number';
  return `${param.doc}: ${word} ${describeLimits(limits)}`;
}

function checkNumber(value: ValueOf<'number'>, param: Param, limits: Limits, place: Place, program: CheckedProgram, report: DiagnosticsContext['report']): void {
  if (!withinLimits(value.n, limits)) {
    const low = limits.min !== undefined && (limits.minExclusive ? value.n <= limits.min : value.n < limits.min);
    report({
      code: Codes.ValueOutOfRange, message: `${subject(param, place)} must be ${describeLimits(limits)}, found ${value.n}`, span: value.span,
      label: low ? 'too small' : 'too large', help: limits.help ?? accepted(param, limits),
    });
    return;
  }
  const layers = limits.layerOf;
  const backbone = layers && place.call ? place.call.args[layers.param] : undefined;
  if (!layers || !backbone || !place.call) return;
  const depth = backboneDepth(backbone, program);
  if (depth === null || value.n < depth) return;
  const which = backbone.v === 'ref' ? `backbone \`${backbone.name}\`` : 'its backbone';
  const has = depth === 0 ? 'has no layers' : depth === 1 ? 'has only layer 0' : `has layers 0 to ${depth - 1}`;
  report({
    code: Codes.ValueOutOfRange, message: `\`${place.call.ctor.name}\` ${layers.says} ${value.n}, but ${which} ${has}`, span: value.span,
    label: 'no such layer', secondary: [{ span: backbone.span, message: `${depth} layer${depth === 1 ? '' : 's'}` }],
    help: limits.help ?? (depth === 0 ? `${param.doc}: this backbone has none` : `${param.doc}: from 0 to ${depth - 1}`),
  });
}

/** A number that must divide another argument of its call (`heads` of `dim`), when either of them is written. */
function checkDivides(value: ValueOf<'number'>, param: Param, other: string, call: ValueOf<'call'>, report: DiagnosticsContext['report']): void {
  const whole = call.args[other];
  if (whole?.v !== 'number' || (value.implicit && whole.implicit) || value.n <= 0 || whole.n % value.n === 0) return;
  const divisors = Array.from({ length: Math.min(whole.n, 64) }, (_, i) => i + 1).filter((d) => whole.n % d === 0);
  const written = value.implicit ? whole : value;
  report({
    code: Codes.ValueOutOfRange, message: `\`${param.name}\` must divide \`${other}\`: ${whole.n} is not a multiple of ${value.n}`, span: written.span,
    label: value.implicit ? `not a multiple of ${value.n}` : 'does not divide', secondary: value.implicit || whole.implicit ? [] : [{ span: whole.span, message: `\`${other}\` is ${whole.n}` }],
    help: `${param.doc}: with \`${other}: ${whole.n}\`, one of ${divisors.join(', ')}${value.implicit ? ` (\`${param.name}\` is ${value.n} by default)` : ''}`,
  });
}

export const valueLimits: Rule = {
  name: 'value-limits',
  run(program, ctx) {
    // A file imported under two names gives the same written value twice: report it once.
    const said = new Set<string>();
    const report: DiagnosticsContext['report'] = (input) => {
      const key = `${input.span.file}:${input.span.start}:${input.span.end}:${input.message}`;
      if (said.has(key)) return;
      said.add(key);
      ctx.report(input);
    };
    walkProgram(program, (value, place) => {
      const param = place.param;
      const limits = param?.limits;
      if (param && limits?.divides && value.v === 'number' && place.call) checkDivides(value, param, limits.divides, place.call, report);
      if (!param || !limits || value.implicit) return;
      if (value.v === 'number') checkNumber(value, param, limits, place, program, report);
      else if (value.v === 'list' && place.key === null && limits.minItems !== undefined && value.items.length < limits.minItems) {
        report({
          code: Codes.ValueOutOfRange, message: `\`${param.name}\` needs at least ${limits.minItems} item${limits.minItems === 1 ? '' : 's'}, found ${value.items.length || 'none'}`,
          span: value.span, label: value.items.length ? 'too few' : 'empty', help: limits.help ?? `${param.doc}: at least ${limits.minItems}`,
        });
      }
    });
  },
};
