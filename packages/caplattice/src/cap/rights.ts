// Rights are bits of a 32-bit mask, so checking "does this capability hold these rights" is one AND.
// Fourteen rights are built in; a schema adds up to eighteen more named ones (bits 14..31). The schema only
// names bits: masks are plain numbers everywhere, and the derivation tree uses the schema for messages.

import { InvalidArgumentError } from '../errors.js';

/** The built-in rights, one bit each. */
export const Rights = Object.freeze({
  READ: 1 << 0,
  WRITE: 1 << 1,
  EXECUTE: 1 << 2,
  MAP: 1 << 3,
  /** Derive (mint) capabilities from this one. */
  GRANT: 1 << 4,
  /** Revoke every capability derived from this one. */
  REVOKE: 1 << 5,
  /** Move this capability to another CapSpace, or export it as a sealed token. */
  TRANSFER: 1 << 6,
  /** Copy this capability unchanged. */
  DUPLICATE: 1 << 7,
  INVOKE: 1 << 8,
  DMA: 1 << 9,
  IRQ: 1 << 10,
  TIMER: 1 << 11,
  IPC_SEND: 1 << 12,
  IPC_RECV: 1 << 13,
});

/** Names of the built-in rights, in bit order. */
export const BUILTIN_RIGHTS: readonly string[] = Object.freeze(Object.keys(Rights));

const RIGHT_NAME = /^[A-Z][A-Z0-9_]*$/;

/** Is `x` a rights mask (an integer in [0, 2^32))? */
export function isRightsMask(x: unknown): x is number {
  // `>>> 0` maps every value to a uint32; only an integer already in [0, 2^32) comes back unchanged.
  return (x as number) >>> 0 === x;
}

/** Throw unless `x` is a rights mask. */
export function assertRightsMask(x: unknown, what: string): number {
  if (!isRightsMask(x)) {
    throw new InvalidArgumentError(`${what}: rights must be an integer mask in [0, 2^32), got ${String(x)}`);
  }
  return x;
}

/** Names for the 32 bits of a rights mask. */
export class RightsSchema {
  /** Right names by bit; bits without a name are undefined. */
  readonly names: readonly (string | undefined)[];
  /** Mask of every named right. */
  readonly all: number;
  private readonly bits: ReadonlyMap<string, number>;

  private constructor(names: readonly string[]) {
    const bits = new Map<string, number>();
    names.forEach((name, i) => {
      bits.set(name, i);
    });
    this.names = Object.freeze([...names]);
    this.bits = bits;
    this.all = names.length === 32 ? 0xffff_ffff : 2 ** names.length - 1;
    Object.freeze(this);
  }

  /** The built-in rights only. */
  static readonly builtin: RightsSchema = new RightsSchema(BUILTIN_RIGHTS);

  /** The built-in rights plus `extra`, which take bits 14, 15, ... in order. */
  static define(extra: readonly string[]): RightsSchema {
    if (!Array.isArray(extra)) throw new InvalidArgumentError('defineRights: expected an array of names');
    const names = [...BUILTIN_RIGHTS];
    for (const name of extra) {
      if (typeof name !== 'string' || !RIGHT_NAME.test(name)) {
        throw new InvalidArgumentError(
          `defineRights: ${JSON.stringify(name)} must be upper case letters, digits and '_' (like AUDIT or SET_POLICY)`,
        );
      }
      if (name === 'NONE' || names.includes(name)) {
        throw new InvalidArgumentError(`defineRights: the right ${name} is already defined`);
      }
      names.push(name);
    }
    if (names.length > 32) {
      throw new InvalidArgumentError(
        `defineRights: ${names.length} rights do not fit in 32 bits (${BUILTIN_RIGHTS.length} are built in)`,
      );
    }
    return new RightsSchema(names);
  }

  /** The bit of a named right. */
  bit(name: string): number {
    const i = this.bits.get(name);
    if (i === undefined) throw new InvalidArgumentError(`unknown right ${JSON.stringify(name)}`);
    return 2 ** i;
  }

  /** The mask holding the named rights. */
  mask(...names: string[]): number {
    let m = 0;
    for (const name of names) m = (m | this.bit(name)) >>> 0;
    return m;
  }

  /** `READ|WRITE`, `NONE` for 0; unnamed bits print as `BIT20`. */
  format(mask: number): string {
    assertRightsMask(mask, 'RightsSchema.format');
    const parts: string[] = [];
    for (let i = 0; i < 32; i++) {
      if ((mask >>> i) & 1) parts.push(this.names[i] ?? `BIT${i}`);
    }
    return parts.length === 0 ? 'NONE' : parts.join('|');
  }

  /** Parse `READ|WRITE` (also `READ, WRITE` or `NONE`). */
  parse(text: string): number {
    if (typeof text !== 'string') throw new InvalidArgumentError('RightsSchema.parse: expected a string');
    const t = text.trim();
    if (t === 'NONE' || t === '') return 0;
    return this.mask(...t.split(/[|,]/).map((s) => s.trim()));
  }
}

/** A rights schema with the built-in rights plus `extra` (bits 14, 15, ...). */
export function defineRights(extra: readonly string[]): RightsSchema {
  return RightsSchema.define(extra);
}
