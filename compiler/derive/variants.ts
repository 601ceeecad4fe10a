/**
 * The variants `mtl run --ablate` derives from one program, and how the flag spells them:
 * `single,private,shared,scarcity` with optional fractions (`scarcity=0.5,0.25`) and an optional task
 * (`scarcity:income=0.5`). Commas separate both the variants and a scarcity's fractions: a number after a
 * scarcity is one of its fractions.
 */

export type VariantKind = 'single' | 'private' | 'shared' | 'scarcity';

export type VariantSpec =
  | { kind: 'single' | 'private' | 'shared' }
  /** One task's training labels cut to each fraction; `task` null: every task in turn. */
  | { kind: 'scarcity'; task: string | null; fractions: number[] };

export const VARIANT_KINDS: readonly VariantKind[] = ['single', 'private', 'shared', 'scarcity'];

/** LibMTL's and the data-scarcity literature's usual cuts. */
export const DEFAULT_FRACTIONS = [0.5, 0.25, 0.1];

/** The variants a `--ablate` text asks for, or what is wrong with it (one sentence naming the part). */
export function parseAblation(text: string): { specs: VariantSpec[] } | { error: string } {
  const specs: VariantSpec[] = [];
  const seen = new Set<string>();
  for (const raw of text.split(',').map((part) => part.trim())) {
    if (raw === '') return { error: `\`--ablate ${text}\` has an empty item; expected a comma-separated list of ${VARIANT_KINDS.join(', ')}` };
    const last = specs[specs.length - 1];
    if (/^[0-9.]+$/.test(raw) && last?.kind === 'scarcity') {
      const fraction = fractionOf(raw);
      if (typeof fraction === 'string') return { error: fraction };
      last.fractions.push(fraction);
      continue;
    }
    const match = /^([a-z_]+)(?::([A-Za-z_][A-Za-z0-9_.]*))?(?:=(.*))?$/.exec(raw);
    const kind = match?.[1] as VariantKind | undefined;
    if (!match || !kind || !VARIANT_KINDS.includes(kind)) {
      return { error: `unknown variant \`${raw}\` in \`--ablate ${text}\`; expected one of ${VARIANT_KINDS.join(', ')} (a scarcity as \`scarcity\`, \`scarcity=0.5,0.25\` or \`scarcity:TASK=0.5\`)` };
    }
    if (kind !== 'scarcity') {
      if (match[2] !== undefined || match[3] !== undefined) return { error: `\`${raw}\`: only \`scarcity\` takes a task or fractions` };
      if (!seen.has(kind)) specs.push({ kind });
      seen.add(kind);
      continue;
    }
    const fractions: number[] = [];
    if (match[3] !== undefined) {
      const fraction = fractionOf(match[3]);
      if (typeof fraction === 'string') return { error: fraction };
      fractions.push(fraction);
    }
    specs.push({ kind: 'scarcity', task: match[2] ?? null, fractions });
  }
  for (const spec of specs) if (spec.kind === 'scarcity' && spec.fractions.length === 0) spec.fractions.push(...DEFAULT_FRACTIONS);
  return { specs };
}

function fractionOf(text: string): number | string {
  const n = Number(text);
  return Number.isFinite(n) && n > 0 && n < 1 ? n : `a scarcity fraction must be a number between 0 and 1 (exclusive), found \`${text}\``;
}
