/**
 * The column types of an Arrow IPC file, read from its footer alone (the last bytes of the file, never its record
 * batches), so `mtl check` can compare them with the program's `columns` at the cost of two small reads.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';

const MAGIC = 'ARROW1';
/** A footer larger than this is not one a data file of ours would have: treat the file as unreadable. */
const MAX_FOOTER_BYTES = 16 << 20;

interface ArrowField { name: string; type: { toString(): string } }
type FooterDecoder = (bytes: Uint8Array) => { schema: { fields: ArrowField[] } };

let decoder: FooterDecoder | null = null;
/** Loaded on first use, so a program without data files does not pay for apache-arrow. */
function footerDecoder(): FooterDecoder {
  if (!decoder) {
    const require = createRequire(import.meta.url);
    require('apache-arrow/ipc/metadata/message'); // installs Schema.decode, which Footer.decode calls
    const { Footer } = require('apache-arrow/ipc/metadata/file') as { Footer: { decode: FooterDecoder } };
    decoder = (bytes) => Footer.decode(bytes);
  }
  return decoder;
}

/** Column name to Arrow type (`Float64`, `Dictionary<Int32, Utf8>`, `List<Int32>`), or null if the file cannot be read as Arrow. */
export function readArrowSchema(file: string): Map<string, string> | null {
  let fd: number | null = null;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const stat = fs.fstatSync(fd);
    if (!stat.isFile() || stat.size < 2 * MAGIC.length + 4) return null;
    const tail = Buffer.alloc(MAGIC.length + 4);
    fs.readSync(fd, tail, 0, tail.length, stat.size - tail.length);
    if (tail.toString('latin1', 4) !== MAGIC) return null;
    const length = tail.readInt32LE(0);
    if (length <= 0 || length > MAX_FOOTER_BYTES || length > stat.size - tail.length) return null;
    const footer = Buffer.alloc(length);
    fs.readSync(fd, footer, 0, length, stat.size - tail.length - length);
    return new Map(footerDecoder()(footer).schema.fields.map((f) => [f.name, String(f.type)]));
  } catch {
    return null;
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/** Whether a column declared with this type can be read from a column of this Arrow type. */
export function readableAs(declared: string, arrow: string): boolean {
  const list = /^list<(.*)>$/.exec(declared);
  if (list) {
    const inner = /^(?:Large)?(?:FixedSize)?List(?:\[\d+\])?<(.*)>$/.exec(arrow);
    return inner ? readableAs(list[1]!, inner[1]!) : false;
  }
  const dictionary = /^Dictionary<[^,]+, (.*)>$/.exec(arrow);
  const base = dictionary ? dictionary[1]! : arrow;
  switch (declared) {
    case 'float': return /^(Float|Int|Uint|Decimal)/.test(base);
    case 'int': return /^(Int|Uint|Bool)/.test(base);
    case 'bool': return /^(Bool|Int|Uint)/.test(base);
    case 'string': return /^(Large)?Utf8/.test(base);
    default: return true;
  }
}
