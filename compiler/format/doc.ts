/**
 * A small Wadler-style document: text, line breaks that a group may keep flat, indentation. `layout` picks, group by
 * group, the flat form when it fits in the width (prettier's algorithm, reduced to what `mtl fmt` needs).
 */

export type Doc = string | Doc[] | Line | Indent | Align | Group | Fill | FillBreak | IfBreak;
/** A break: `flat` is printed instead when its group stays on one line; a hard line always breaks. */
interface Line { t: 'line'; flat: string; hard: boolean }
interface Indent { t: 'indent'; doc: Doc }
/** Indents what follows its first line to the column where it starts (call arguments under their first one). */
interface Align { t: 'align'; doc: Doc }
interface Group { t: 'group'; doc: Doc; broken: boolean }
/** Items separated by lines, each line broken only when the next item does not fit (a list of names packed). */
interface Fill { t: 'fill'; items: Doc[]; separator: Doc }
/** `broken` when its group is broken, else `flat` (a trailing comma only when the items are one per line). */
interface IfBreak { t: 'ifBreak'; broken: string; flat: string }
/** Made by `layout` between two fill items: the separator, flat if `next` fits after it. */
interface FillBreak { t: 'fillBreak'; separator: Doc; next: Doc }

export const line: Line = { t: 'line', flat: ' ', hard: false };
export const softline: Line = { t: 'line', flat: '', hard: false };
export const hardline: Line = { t: 'line', flat: '', hard: true };
export const indent = (doc: Doc): Doc => ({ t: 'indent', doc });
export const align = (doc: Doc): Doc => ({ t: 'align', doc });
/** A group holding a hard line can never be flat: it is marked broken when made. */
export const group = (doc: Doc): Doc => ({ t: 'group', doc, broken: hasHardLine(doc) });
export const ifBreak = (broken: string, flat = ''): Doc => ({ t: 'ifBreak', broken, flat });
export const fill = (items: Doc[], separator: Doc): Doc => ({ t: 'fill', items, separator });

export function hasHardLine(doc: Doc): boolean {
  if (typeof doc === 'string') return false;
  if (Array.isArray(doc)) return doc.some(hasHardLine);
  switch (doc.t) {
    case 'line': return doc.hard;
    case 'indent': case 'align': return hasHardLine(doc.doc);
    case 'group': return doc.broken;
    case 'fill': return doc.items.some(hasHardLine);
    case 'fillBreak': return hasHardLine(doc.separator);
    case 'ifBreak': return false;
  }
}

type Mode = 'flat' | 'break';
interface Command { indent: number; mode: Mode; doc: Doc }

/** Whether `next`, then the commands after it up to their first possible break, fit in `width` columns. */
function fits(next: Command, rest: Command[], width: number): boolean {
  const stack: Command[] = [next];
  let restIndex = rest.length;
  while (width >= 0) {
    let command = stack.pop();
    if (!command) {
      if (restIndex === 0) return true;
      command = rest[--restIndex]!;
    }
    const { mode, doc } = command;
    if (typeof doc === 'string') width -= doc.length;
    else if (Array.isArray(doc)) for (let i = doc.length - 1; i >= 0; i--) stack.push({ ...command, doc: doc[i]! });
    else switch (doc.t) {
      case 'line':
        if (mode === 'break' || doc.hard) return true;
        width -= doc.flat.length;
        break;
      case 'indent': case 'align': stack.push({ ...command, doc: doc.doc }); break;
      case 'group': stack.push({ ...command, mode: doc.broken ? 'break' : mode, doc: doc.doc }); break;
      case 'fill': for (let i = doc.items.length - 1; i >= 0; i--) stack.push({ ...command, doc: i ? [doc.separator, doc.items[i]!] : doc.items[i]! }); break;
      case 'fillBreak': stack.push({ ...command, doc: doc.separator }); break;
      case 'ifBreak': width -= (mode === 'flat' ? doc.flat : doc.broken).length; break;
    }
  }
  return false;
}

/** The document as text, `width` columns wide where it can be; two spaces per indent. */
export function layout(doc: Doc, width: number): string {
  const out: string[] = [];
  let column = 0;
  const stack: Command[] = [{ indent: 0, mode: 'break', doc }];
  while (stack.length) {
    const command = stack.pop()!;
    const { indent: ind, mode, doc: d } = command;
    if (typeof d === 'string') {
      // An empty line stays empty: pushing '' would hide the indentation before it from the trimming below.
      if (d === '') continue;
      out.push(d);
      column += d.length;
    } else if (Array.isArray(d)) {
      for (let i = d.length - 1; i >= 0; i--) stack.push({ indent: ind, mode, doc: d[i]! });
    } else switch (d.t) {
      case 'line':
        if (mode === 'flat' && !d.hard) {
          out.push(d.flat);
          column += d.flat.length;
        } else {
          // Trailing spaces of the line just ended go (a comment or an empty item may have left some).
          while (out.length && / $/.test(out[out.length - 1]!)) out[out.length - 1] = out[out.length - 1]!.replace(/ +$/, '');
          out.push('\n' + ' '.repeat(ind));
          column = ind;
        }
        break;
      case 'indent': stack.push({ indent: ind + 2, mode, doc: d.doc }); break;
      case 'align': stack.push({ indent: column, mode, doc: d.doc }); break;
      case 'group': {
        const flat: Command = { indent: ind, mode: 'flat', doc: d.doc };
        stack.push(!d.broken && fits(flat, stack, width - column) ? flat : { indent: ind, mode: 'break', doc: d.doc });
        break;
      }
      case 'fill': {
        // Each item flat if it fits, then the separator flat if the next item fits after it.
        const commands: Command[] = [];
        d.items.forEach((item, i) => {
          if (i > 0) commands.push({ indent: ind, mode, doc: { t: 'fillBreak', separator: d.separator, next: item } });
          commands.push({ indent: ind, mode: 'break', doc: group(item) });
        });
        for (let i = commands.length - 1; i >= 0; i--) stack.push(commands[i]!);
        break;
      }
      case 'ifBreak': {
        const chosen = mode === 'flat' ? d.flat : d.broken;
        out.push(chosen);
        column += chosen.length;
        break;
      }
      case 'fillBreak': {
        // The next item is on the stack already: `fits` reads it after the separator.
        const flat: Command = { indent: ind, mode: 'flat', doc: d.separator };
        const keepFlat = mode === 'flat' || (!hasHardLine(d.next) && fits(flat, stack, width - column));
        stack.push({ indent: ind, mode: keepFlat ? 'flat' : 'break', doc: d.separator });
        break;
      }
    }
  }
  return out.join('');
}
