/** The disassembler API: single instructions, buffers, symbols, and what is lost without the bytes. */
import { describe, expect, it } from 'vitest';
import { Decoder, disassemble, disassembleAt, disassembleBytes, OPCODE_TABLE } from '../../src/index';
import { X87_FIXTURE_ROWS } from './x87-rows';

const decoder = new Decoder(OPCODE_TABLE);

function decode(bytes: number[], addr = 0x401000) {
  const code = new Uint8Array(bytes);
  return { insn: decoder.decode(code, 0, code.length, addr), code };
}

describe('disassemble', () => {
  it('prints AT&T syntax with objdump spacing', () => {
    expect(disassemble(decode([0x55]).insn)).toBe('push   %rbp');
    expect(disassemble(decode([0x48, 0x89, 0xe5]).insn)).toBe('mov    %rsp,%rbp');
    expect(disassemble(decode([0xc7, 0x45, 0xfc, 0, 0, 0, 0]).insn)).toBe('movl   $0x0,-0x4(%rbp)');
    expect(disassemble(decode([0xc3]).insn)).toBe('ret');
    expect(disassemble(decode([0x48, 0x98]).insn)).toBe('cltq');
    expect(disassemble(decode([0x0f, 0xb6, 0xc0]).insn)).toBe('movzbl %al,%eax');
    expect(disassemble(decode([0x48, 0x63, 0xd0]).insn)).toBe('movslq %eax,%rdx');
    expect(disassemble(decode([0xff, 0xd0]).insn)).toBe('call   *%rax');
    expect(disassemble(decode([0xff, 0x60, 0x08]).insn)).toBe('jmp    *0x8(%rax)');
    expect(disassemble(decode([0xf3, 0x48, 0xab]).insn)).toBe('rep stos %rax,%es:(%rdi)');
    expect(disassemble(decode([0x66, 0x90]).insn)).toBe('xchg   %ax,%ax');
    expect(disassemble(decode([0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8]).insn)).toBe(
      'movabs $0x807060504030201,%rax',
    );
    expect(disassemble(decode([0xf2, 0x0f, 0x58, 0xc1]).insn)).toBe('addsd  %xmm1,%xmm0');
  });

  it('annotates RIP-relative operands and branch targets', () => {
    const lea = decode([0x48, 0x8d, 0x05, 0xdc, 0x2e, 0x00, 0x00], 0x40112d).insn;
    expect(disassemble(lea)).toBe('lea    0x2edc(%rip),%rax        # 0x404010');
    const symbolize = (a: bigint): string | undefined =>
      a === 0x404010n ? 'x' : a === 0x401461n ? 'fib+0x461' : undefined;
    expect(disassemble(lea, { symbolize })).toBe('lea    0x2edc(%rip),%rax        # 404010 <x>');
    const jle = decode([0x0f, 0x8e, 0x5b, 0x04, 0x00, 0x00]).insn;
    expect(disassemble(jle, { symbolize })).toBe('jle    401461 <fib+0x461>');
    expect(disassemble(jle)).toBe('jle    0x401461');
  });

  it('shows prefixes the decoder drops only when given the bytes', () => {
    const { insn, code } = decode([0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0]);
    expect(disassemble(insn, { bytes: code })).toBe('cs nopw 0x0(%rax,%rax,1)');
    expect(disassemble(insn)).toBe('nopw   0x0(%rax,%rax,1)');
    const riz = decode([0x8d, 0x74, 0x26, 0x00]);
    expect(disassemble(riz.insn, { bytes: riz.code })).toBe('lea    0x0(%rsi,%riz,1),%esi');
    expect(disassemble(riz.insn)).toBe('lea    0x0(%rsi),%esi');
  });

  it('prints (bad) for undecodable bytes', () => {
    expect(disassemble(decode([0x0f, 0x04]).insn)).toBe('(bad)');
    expect(disassemble(decode([0x8d, 0xc0]).insn)).toBe('(bad)');
  });
});

describe('disassembleBytes', () => {
  it('walks a buffer instruction by instruction', () => {
    const lines = disassembleBytes(new Uint8Array([0x55, 0x48, 0x89, 0xe5, 0x5d, 0xc3, 0x48]), 0x1000);
    expect(lines.map((l) => [l.address, l.bytes.length, l.text])).toEqual([
      [0x1000, 1, 'push   %rbp'],
      [0x1001, 3, 'mov    %rsp,%rbp'],
      [0x1004, 1, 'pop    %rbp'],
      [0x1005, 1, 'ret'],
      [0x1006, 1, '(bad)'],
    ]);
  });

  it('joins FWAIT with a following no-wait x87 control instruction', () => {
    const x87 = new Decoder([...OPCODE_TABLE, ...X87_FIXTURE_ROWS]);
    const code = new Uint8Array([0x9b, 0xd9, 0x7c, 0x24, 0x08, 0x9b, 0x90]);
    expect(disassembleAt(code, 0, 0, { decoder: x87 })).toMatchObject({
      length: 5,
      text: 'fstcw  0x8(%rsp)',
    });
    expect(disassembleBytes(code, 0, { decoder: x87 }).map((l) => l.text)).toEqual([
      'fstcw  0x8(%rsp)',
      'fwait',
      'nop',
    ]);
  });
});
