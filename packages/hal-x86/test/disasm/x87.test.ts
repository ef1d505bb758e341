/**
 * x87 spellings (suffixes by memory width, %st operands, the AT&T fsub/fsubr swap, fwait merging) over the
 * whole x87 opcode space. Uses the opcode table's x87 rows when it has them; otherwise fixture rows in the
 * table's format (x87-rows.ts).
 */
import { describe, expect, it } from 'vitest';
import { Decoder } from '../../src/isa/decoder';
import { OPCODE_TABLE } from '../../src/isa/tables';
import { assemble } from './build';
import { compareWithObjdump } from './compare';
import { countsText, mismatchText, percent } from './report';
import { X87_FIXTURE_ROWS, x87Source } from './x87-rows';

const tableHasX87 =
  new Decoder(OPCODE_TABLE).decode(new Uint8Array([0xd9, 0xc9]), 0, 2, 0).def.mnemonic !== '(bad)';

describe('x87 disassembly matches objdump -d', () => {
  it(`all x87 opcodes (${tableHasX87 ? 'opcode table' : 'fixture rows'})`, async () => {
    const decoder = tableHasX87
      ? new Decoder(OPCODE_TABLE)
      : new Decoder([...OPCODE_TABLE, ...X87_FIXTURE_ROWS]);
    const obj = await assemble('x87', x87Source());
    const r = compareWithObjdump(obj, { decoder });
    console.log(
      `x87: ${r.total} instructions, ${r.decoded} decoded, ${r.matched} match (${percent(r.matched, r.decoded)}); ` +
        `not decoded: ${countsText(r.undecoded)}`,
    );
    expect(mismatchText(r.mismatches)).toBe('');
  });
});
