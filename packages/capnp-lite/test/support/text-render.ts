/**
 * The text format `capnp convert binary:text` prints, rendered from values held in JavaScript, so a test
 * can predict the tool's output for messages it generates. The layout rules are those of the reference
 * implementation's pretty printer (stringify.c++): a list or struct goes on one line when every element
 * is at most 24 bytes long without a newline (and, for a struct, all fields together at most 64 bytes);
 * otherwise each element goes on its own line, indented two spaces per level.
 */

/** A printed value before layout: a leaf, a list of values, or a struct's printed fields in order. */
export type Printed =
  | { kind: 'atom'; text: string }
  | { kind: 'list'; items: Printed[] }
  | { kind: 'struct'; fields: [name: string, value: Printed][] };

export const atom = (text: string): Printed => ({ kind: 'atom', text });
export const list = (items: Printed[]): Printed => ({ kind: 'list', items });
export const struct = (fields: [string, Printed][]): Printed => ({ kind: 'struct', fields });

/**
 * Whether a value is printed on a line of its own (a list element, the root) rather than after `name = `:
 * a struct field's value that does not fit on one line starts on the next line.
 */
type Bare = boolean;

const MAX_INLINE_VALUE = 24;
const MAX_INLINE_RECORD = 64;

/** Sizes are measured in bytes of UTF-8, as the reference implementation measures its strings. */
const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

function delimit(items: string[], indent: number, bare: Bare, record: boolean): string {
  let total = 0;
  let inline = true;
  for (const item of items) {
    const size = byteLength(item);
    if (size > MAX_INLINE_VALUE || item.includes('\n')) {
      inline = false;
      break;
    }
    total += size;
    if (record && total > MAX_INLINE_RECORD) {
      inline = false;
      break;
    }
  }
  if (inline) return items.join(', ');
  const delim = `,\n${' '.repeat(indent * 2)}`;
  return `${bare ? ' ' : delim.slice(1)}${items.join(delim)} `;
}

function layout(value: Printed, indent: number, bare: Bare): string {
  const next = indent + 1;
  switch (value.kind) {
    case 'atom':
      return value.text;
    case 'list':
      return `[${delimit(
        value.items.map((v) => layout(v, next, true)),
        indent,
        bare,
        false,
      )}]`;
    case 'struct':
      return `(${delimit(
        value.fields.map(([name, v]) => `${name} = ${layout(v, next, false)}`),
        indent,
        bare,
        true,
      )})`;
  }
}

/** The pretty-printed text of a root struct, without the newline the tool adds after each message. */
export function prettyPrint(root: Printed): string {
  return layout(root, 1, true);
}

// Scalars.

const NAMED_ESCAPES = new Map<number, string>([
  [0x07, '\\a'],
  [0x08, '\\b'],
  [0x0c, '\\f'],
  [0x0a, '\\n'],
  [0x0d, '\\r'],
  [0x09, '\\t'],
  [0x0b, '\\v'],
  [0x27, "\\'"],
  [0x22, '\\"'],
  [0x5c, '\\\\'],
]);

/**
 * A quoted string literal of `bytes`, escaped as the tool escapes them: named escapes, octal for other
 * control bytes and DEL. Text keeps bytes from 0x80 up as they are (its UTF-8 passes through); Data
 * escapes them too.
 *
 * With `parseable`, `(`, `)` and `#` are escaped as well: the tool finds where one message of its text
 * input ends by counting parentheses and skipping comments without noticing string literals, so these
 * characters inside a string would split the input in the wrong place.
 */
function quote(bytes: Uint8Array, escapeHigh: boolean, parseable: boolean): string {
  const out: number[] = [0x22];
  for (const b of bytes) {
    const named = NAMED_ESCAPES.get(b);
    if (named !== undefined) for (let i = 0; i < named.length; i++) out.push(named.charCodeAt(i));
    else if (
      b < 0x20 ||
      b === 0x7f ||
      (escapeHigh && b >= 0x80) ||
      (parseable && (b === 0x28 || b === 0x29 || b === 0x23))
    ) {
      out.push(0x5c, 0x30 + (b >> 6), 0x30 + ((b >> 3) & 7), 0x30 + (b & 7));
    } else out.push(b);
  }
  out.push(0x22);
  return Buffer.from(out).toString('utf8');
}

export const textLiteral = (s: string, parseable = false): string =>
  quote(Buffer.from(s, 'utf8'), false, parseable);
export const dataLiteral = (bytes: Uint8Array, parseable = false): string => quote(bytes, true, parseable);

/** The exact decimal digits of a finite, non-zero `x` (sign ignored): `x = digits × 10^scale`. */
function exactDecimal(x: number): { digits: string; scale: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (biased === 0 ? 1 : biased) - 1075;
  if (exponent >= 0) return { digits: (mantissa << BigInt(exponent)).toString(), scale: 0 };
  // m × 2^-k = m × 5^k / 10^k: every binary fraction has a finite decimal expansion.
  return { digits: (mantissa * 5n ** BigInt(-exponent)).toString(), scale: exponent };
}

/**
 * C's `%.<precision>g` for finite numbers, as glibc prints it: rounded from the exact binary value, ties
 * to even (JavaScript's toPrecision rounds ties away from zero, so it cannot be used here).
 */
function formatG(x: number, precision: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const { digits: exact, scale } = exactDecimal(x);
  let digits = exact.slice(0, precision).padEnd(precision, '0');
  let exp = exact.length - 1 + scale;
  const rest = exact.slice(precision).replace(/0+$/, '');
  if (rest !== '') {
    const half = rest[0] === '5' && rest.length === 1;
    const up = rest[0] !== undefined && (rest[0] > '5' || (rest[0] === '5' && !half));
    const odd = (Number(digits[precision - 1]) & 1) === 1;
    if (up || (half && odd)) {
      digits = (BigInt(digits) + 1n).toString();
      if (digits.length > precision) {
        digits = digits.slice(0, precision);
        exp++;
      }
    }
  }
  const sign = x < 0 ? '-' : '';
  const trim = (intPart: string, frac: string) => {
    const f = frac.replace(/0+$/, '');
    return f === '' ? intPart : `${intPart}.${f}`;
  };
  if (exp < -4 || exp >= precision) {
    const e = `e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
    return `${sign}${trim(digits.slice(0, 1), digits.slice(1))}${e}`;
  }
  if (exp >= 0) return `${sign}${trim(digits.slice(0, exp + 1), digits.slice(exp + 1))}`;
  return `${sign}${trim('0', '0'.repeat(-exp - 1) + digits)}`;
}

/** The tool drops the `+` of a positive exponent ("1e20"), and keeps a negative one as C prints it ("1e-07"). */
const dropPlus = (s: string): string => s.replace('e+', 'e');

function special(x: number): string | null {
  if (Number.isNaN(x)) return 'nan';
  if (x === Number.POSITIVE_INFINITY) return 'inf';
  if (x === Number.NEGATIVE_INFINITY) return '-inf';
  return null;
}

/** A Float64 as the tool prints it: the shortest of 15 or 17 significant digits that reads back exactly. */
export function formatFloat64(x: number): string {
  const s = special(x);
  if (s !== null) return s;
  const short = formatG(x, 15);
  return dropPlus(Number(short) === x ? short : formatG(x, 17));
}

/**
 * A float as text for the tool's parser: 17 significant digits always name the exact double (and so the
 * exact Float32), and negative zero is written `-0.0` because the parser reads `-0` as the integer zero.
 */
export function formatExact(x: number): string {
  if (Object.is(x, -0)) return '-0.0';
  return special(x) ?? dropPlus(formatG(x, 17));
}

/**
 * A Float32 as the tool prints it: 6 significant digits, or 8 when 6 do not read back as the same float.
 * Subnormal values always get 8, because the tool's read-back check treats the underflow that parsing
 * them reports (ERANGE) as a failure.
 */
export function formatFloat32(x: number): string {
  const s = special(x);
  if (s !== null) return s;
  const subnormal = x !== 0 && Math.abs(x) < 2 ** -126;
  const short = formatG(x, 6);
  return dropPlus(!subnormal && Math.fround(Number(short)) === x ? short : formatG(x, 8));
}
