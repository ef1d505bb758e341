/**
 * The compiled tier against the interpreter (the reference): the same machine code, run once with block
 * compilation and once without, must leave identical registers, flags, memory, RIP and retired-instruction
 * counts — including when a compiled self-loop faults part-way, and when a hot loop rewrites its own code.
 */
import { describe, expect, it, vi } from 'vitest';
import { AddressSpace, Cpu, FrameAllocator, PhysicalMemory, type VcpuExit } from '../../src/index';

const CODE = 0x400000;
const DATA = 0x600000;

function machine(code: number[], jit: boolean, dataPages = 4, compileThreshold?: number) {
  const mem = new PhysicalMemory(4 << 20);
  const frames = new FrameAllocator(mem);
  const as = new AddressSpace(mem, frames);
  as.mapAnonymous(CODE, 4096, { executable: true, writable: true });
  as.mapAnonymous(DATA, dataPages * 4096, { writable: true });
  as.write(CODE, Uint8Array.from(code));
  const cpu = new Cpu(mem, { jit, compileThreshold });
  cpu.mmu.cr3 = as.root;
  cpu.rip = CODE;
  return { cpu, as };
}

function snapshot(cpu: Cpu, as: AddressSpace, exit: VcpuExit) {
  return {
    exit: exit.kind === 'exception' ? `${exit.kind}:${exit.vector}:${exit.cr2}` : exit.kind,
    regs: Array.from({ length: 16 }, (_, r) => cpu.getReg(r)),
    rflags: cpu.rflags,
    rip: cpu.rip,
    instret: cpu.instret,
    data: Buffer.from(as.read(DATA, 4 * 4096)).toString('hex'),
  };
}

/** Runs until a non-budget exit, in slices, so compiled blocks are entered with varying budgets. */
function runBoth(code: number[], setup: (cpu: Cpu) => void, slice = 997) {
  const results = [true, false].map((jit) => {
    const { cpu, as } = machine(code, jit);
    setup(cpu);
    let exit: VcpuExit;
    let guard = 0;
    do exit = cpu.run(slice);
    while (exit.kind === 'budget' && ++guard < 100000);
    return snapshot(cpu, as, exit);
  });
  return { jit: results[0], interp: results[1] };
}

// mov rcx, 0 ; loop: mov byte [rdi+rcx], cl ; add rcx, 1 ; cmp rcx, rdx ; jb loop ; add rax, rcx ; syscall
const FILL_LOOP = [
  0x48,
  0xc7,
  0xc1,
  0x00,
  0x00,
  0x00,
  0x00, // mov rcx, 0
  0x88,
  0x0c,
  0x0f, // mov [rdi+rcx], cl
  0x48,
  0x83,
  0xc1,
  0x01, // add rcx, 1
  0x48,
  0x39,
  0xd1, // cmp rcx, rdx
  0x72,
  0xf4, // jb -12
  0x48,
  0x01,
  0xc8, // add rax, rcx
  0x0f,
  0x05, // syscall
];

describe('block compiler', () => {
  it('runs a hot self-loop exactly like the interpreter', () => {
    const r = runBoth(FILL_LOOP, (cpu) => {
      cpu.setReg(7, DATA);
      cpu.setReg(2, 3000);
      cpu.setReg(0, 5);
    });
    expect(r.jit.exit).toBe('syscall');
    expect(r.jit).toEqual(r.interp);
    expect(r.jit.regs[0]).toBe(3005n);
  });

  it('reports a fault inside a compiled self-loop at the right instruction with exact counts', () => {
    // The loop runs off the end of the mapped data (4 pages) and faults on the first unmapped byte.
    const r = runBoth(FILL_LOOP, (cpu) => {
      cpu.setReg(7, DATA);
      cpu.setReg(2, 1 << 20);
    });
    expect(r.jit.exit).toBe(`exception:14:${DATA + 4 * 4096}`);
    expect(r.jit).toEqual(r.interp);
  });

  it('counts exactly when a later, interpreted block faults in the run a compiled self-loop ended in', () => {
    // mov rcx, 0 ; loop: add rcx, 1 ; cmp rcx, rdx ; jb loop ; mov rax, [0x10] (unmapped: #PF)
    // The loop is compiled part-way and leaves normally; the load's block runs once, interpreted, and faults.
    // biome-ignore format: one instruction per line
    const code = [
      0x48, 0xc7, 0xc1, 0x00, 0x00, 0x00, 0x00, // mov rcx, 0
      0x48, 0x83, 0xc1, 0x01, // add rcx, 1
      0x48, 0x39, 0xd1, // cmp rcx, rdx
      0x72, 0xf8, // jb -8
      0x48, 0x8b, 0x04, 0x25, 0x10, 0x00, 0x00, 0x00, // mov rax, [0x10]
    ];
    const r = runBoth(code, (cpu) => cpu.setReg(2, 200), 100_000);
    expect(r.jit.exit).toBe('exception:14:16');
    expect(r.jit).toEqual(r.interp);
    expect(r.jit.instret).toBe(1 + 3 * 200);
  });

  it('evaluates every condition code after CMP, SUB, TEST and ADD like the interpreter', () => {
    // For each cc: cmp/test/add rax, rbx ; jcc +3 ; inc r8 (not taken) ... ; accumulate into r9
    for (const producer of [
      [0x48, 0x39, 0xd8], // cmp rax, rbx
      [0x48, 0x85, 0xd8], // test rax, rbx
      [0x48, 0x01, 0xd8], // add rax, rbx
      [0x39, 0xd8], // cmp eax, ebx
      [0x48, 0x29, 0xd8], // sub rax, rbx
    ]) {
      for (let cc = 0; cc < 16; cc++) {
        for (const [a, b] of [
          [0n, 0n],
          [1n, 2n],
          [2n, 1n],
          [-1n, 1n],
          [0x8000000000000000n, 1n],
          [0x7fffffffffffffffn, -1n],
          [0xffffffffn, 0x100000000n],
        ] as const) {
          const code = [
            // loop 60 times so the block is compiled: rcx counts down
            ...producer,
            0x70 + cc,
            0x04, // jcc +4
            0x49,
            0xff,
            0xc0, // inc r8
            0x90, // nop
            0x49,
            0xff,
            0xc1, // inc r9 (both paths)
            0x48,
            0x89,
            0xf0, // mov rax, rsi (restore a)
            0x48,
            0xff,
            0xc9, // dec rcx
            0x75,
            -(producer.length + 17) & 0xff, // jnz top
            0x0f,
            0x05,
          ];
          const r = runBoth(code, (cpu) => {
            cpu.setReg(0, a);
            cpu.setReg(6, a);
            cpu.setReg(3, b);
            cpu.setReg(1, 200);
          });
          expect(r.jit.exit).toBe('syscall');
          expect(r.jit, `producer ${producer} cc ${cc} a ${a} b ${b}`).toEqual(r.interp);
        }
      }
    }
  });

  it('restores deferred flags and RIP when an instruction faults in the middle of a compiled block', () => {
    // add rax, rbx leaves its flags deferred; the load after it faults once rdi runs off the data pages,
    // and the exception must see ADD's flags, RIP at the load and every earlier store done.
    const code = [
      0x48,
      0x01,
      0xd8, // add rax, rbx
      0x48,
      0x8b,
      0x0f, // mov rcx, [rdi]
      0x48,
      0x83,
      0xc7,
      0x08, // add rdi, 8
      0x48,
      0xff,
      0xca, // dec rdx
      0x48,
      0x89,
      0x16, // mov [rsi], rdx
      0x75,
      0xee, // jnz top
      0x0f,
      0x05, // syscall
    ];
    for (const [a, b] of [
      [0x7fffffffffffffffn, 1n], // OF
      [-1n, 1n], // CF, ZF
      [0x123n, 0x456n],
    ] as const) {
      const r = runBoth(code, (cpu) => {
        cpu.setReg(0, a);
        cpu.setReg(3, b);
        cpu.setReg(7, DATA + 8); // runs off the end of the 4 data pages
        cpu.setReg(6, DATA);
        cpu.setReg(2, 1 << 20);
      });
      expect(r.jit.exit).toBe(`exception:14:${DATA + 4 * 4096}`);
      expect(r.jit, `a ${a} b ${b}`).toEqual(r.interp);
    }
  });

  it('writes nothing when a 16-byte store straddles into an unmapped page', () => {
    // movdqu [rdi], xmm0 ; movups [rdi], xmm0 ; syscall — rdi is 8 bytes before the end of the data pages.
    for (const store of [
      [0xf3, 0x0f, 0x7f, 0x07],
      [0x0f, 0x11, 0x07],
    ]) {
      const results = [1, 50].map((threshold) => {
        const { cpu, as } = machine([...store, 0x0f, 0x05], true);
        const compiled = new Cpu(cpu.memory, { jit: true, compileThreshold: threshold });
        compiled.mmu.cr3 = cpu.mmu.cr3;
        compiled.rip = CODE;
        compiled.setReg(7, DATA + 4 * 4096 - 8);
        compiled.xmm32.fill(-1);
        const exit = compiled.run(10);
        return snapshot(compiled, as, exit);
      });
      expect(results[0].exit).toBe(`exception:14:${DATA + 4 * 4096}`);
      expect(results[0]).toEqual(results[1]);
      expect(results[0].data).toBe('00'.repeat(4 * 4096));
    }
  });

  it('falls through a side exit that ends a block at its size limit', () => {
    // 63 x inc rax ; jz far (never taken: a conditional branch is the 64th and last instruction of the
    // block) ; inc rbx ; dec rcx ; jnz top (rel32) ; syscall
    const body = [
      ...Array.from({ length: 63 }, () => [0x48, 0xff, 0xc0]).flat(),
      0x0f,
      0x84,
      0x00,
      0x01,
      0x00,
      0x00,
    ];
    const tail = [0x48, 0xff, 0xc3, 0x48, 0xff, 0xc9];
    const back = -(body.length + tail.length + 6);
    const code = [...body, ...tail, 0x0f, 0x85, ...[0, 8, 16, 24].map((s) => (back >> s) & 0xff), 0x0f, 0x05];
    const r = runBoth(code, (cpu) => {
      cpu.setReg(0, 1);
      cpu.setReg(1, 300);
    });
    expect(r.jit.exit).toBe('syscall');
    expect(r.jit).toEqual(r.interp);
    expect(r.jit.regs[0]).toBe(1n + 63n * 300n);
    expect(r.jit.regs[3]).toBe(300n);
  });

  it('leaves a block at a taken side exit and goes on after one not taken', () => {
    // top: add rax, 1 ; test al, 1 ; jnz odd ; add rbx, 1 ; odd: dec rcx ; jnz top ; syscall
    const code = [
      0x48,
      0x83,
      0xc0,
      0x01, // add rax, 1
      0xa8,
      0x01, // test al, 1
      0x75,
      0x04, // jnz +4 (side exit)
      0x48,
      0x83,
      0xc3,
      0x01, // add rbx, 1
      0x48,
      0xff,
      0xc9, // dec rcx
      0x75,
      0xef, // jnz top
      0x0f,
      0x05,
    ];
    const r = runBoth(code, (cpu) => cpu.setReg(1, 1001));
    expect(r.jit.exit).toBe('syscall');
    expect(r.jit).toEqual(r.interp);
    expect(r.jit.regs[3]).toBe(500n);
  });

  it('follows direct jumps and calls within the page, faults in the followed code included', () => {
    // top: add rax, 1 ; jmp L1 ; ud2 ; L1: call F ; dec rcx ; jnz top ; syscall ; F: add rbx, [rdi] ; ret
    const code = [
      0x48,
      0x83,
      0xc0,
      0x01, // 0: add rax, 1
      0xeb,
      0x02, // 4: jmp +2 -> 8
      0x0f,
      0x0b, // 6: ud2 (never executed)
      0xe8,
      0x08,
      0x00,
      0x00,
      0x00, // 8: call +8 -> 21
      0x48,
      0xff,
      0xc9, // 13: dec rcx
      0x75,
      0xef, // 16: jnz -17 -> 0
      0x0f,
      0x05, // 18: syscall
      0x90, // 20: nop
      0x48,
      0x03,
      0x1f, // 21: add rbx, [rdi]
      0x48,
      0x83,
      0xc7,
      0x08, // 24: add rdi, 8
      0xc3, // 28: ret
    ];
    const setup = (cpu: Cpu) => {
      cpu.setReg(1, 600);
      cpu.setReg(4, DATA + 4 * 4096); // the stack: the top of the data pages
      cpu.setReg(7, DATA);
    };
    // 600 rounds read 600 quadwords (4800 bytes); with rdi starting near the end of the data the load in
    // the called code faults part-way.
    const ok = runBoth(code, setup);
    expect(ok.jit.exit).toBe('syscall');
    expect(ok.jit).toEqual(ok.interp);
    expect(ok.jit.regs[0]).toBe(600n);
    const faulting = runBoth(code, (cpu) => {
      setup(cpu);
      cpu.setReg(7, DATA + 4 * 4096 - 8 * 100);
      cpu.setReg(4, DATA + 4096);
    });
    expect(faulting.jit.exit).toBe(`exception:14:${DATA + 4 * 4096}`);
    expect(faulting.jit).toEqual(faulting.interp);
  });

  it('keeps RSP and the registers exact when pushes or pops in a compiled block run off the stack', () => {
    // Each pass moves RSP down (or up) by 24 bytes and ends with a jump back to its start, which the block
    // follows, so one compiled block holds several passes; the stack runs into an unmapped page part-way.
    // biome-ignore format: one instruction per line
    const down = [
      0x50, // push rax
      0x53, // push rbx
      0x48, 0x83, 0xc0, 0x01, // add rax, 1
      0x51, // push rcx
      0x5a, // pop rdx
      0x52, // push rdx
      0x48, 0x89, 0x44, 0x24, 0x08, // mov [rsp+8], rax
      0x48, 0x8b, 0x74, 0x24, 0x10, // mov rsi, [rsp+16]
      0x48, 0x01, 0xf3, // add rbx, rsi
      0xeb, 0xe8, // jmp top
    ];
    // biome-ignore format: one instruction per line
    const up = [
      0x58, // pop rax
      0x5b, // pop rbx
      0x48, 0x01, 0xd8, // add rax, rbx
      0x50, // push rax
      0x59, // pop rcx
      0x5a, // pop rdx
      0x48, 0x8b, 0x34, 0x24, // mov rsi, [rsp]
      0x48, 0x01, 0xf7, // add rdi, rsi
      0xeb, 0xef, // jmp top
    ];
    for (const start of [0, 8, 16]) {
      const pushes = runBoth(down, (cpu) => {
        cpu.setReg(0, 0xfffffff0n);
        cpu.setReg(3, 7);
        cpu.setReg(4, DATA + 4 * 4096 - start);
      });
      expect(pushes.jit.exit).toBe(`exception:14:${DATA - 8}`);
      expect(pushes.jit, `pushes from ${start}`).toEqual(pushes.interp);
      const pops = runBoth(up, (cpu) => cpu.setReg(4, DATA + start));
      expect(pops.jit.exit).toBe(`exception:14:${DATA + 4 * 4096}`);
      expect(pops.jit, `pops from ${start}`).toEqual(pops.interp);
    }
  });

  it('compiles only the part of a block that ran, and runs the rest when it becomes hot later', () => {
    // While rax < 200 (every interpreted run before compilation) the block is left at `jb`, so only its
    // first three instructions are compiled; from rax = 200 on, execution goes on past them.
    // biome-ignore format: one instruction per line
    const code = [
      0x48, 0x83, 0xc0, 0x01, // 0: add rax, 1
      0x48, 0x3d, 0xc8, 0x00, 0x00, 0x00, // 4: cmp rax, 200
      0x72, 0x07, // 10: jb +7 -> 19
      0x48, 0x01, 0xc3, // 12: add rbx, rax
      0x48, 0x83, 0xc3, 0x03, // 15: add rbx, 3
      0x48, 0xff, 0xc9, // 19: dec rcx
      0x75, 0xe8, // 22: jnz -24 -> 0
      0x0f, 0x05, // 24: syscall
    ];
    const r = runBoth(code, (cpu) => cpu.setReg(1, 1000));
    expect(r.jit.exit).toBe('syscall');
    expect(r.jit).toEqual(r.interp);
    expect(r.jit.regs[3]).toBe(483003n); // the sum of rax + 3 for rax = 200..1000
    // The compiled prefix ends after `jb`: going on from there needs a block that starts at offset 12,
    // which the interpreter, running the whole block in one run, never decodes (blocks at 0, 19, 24).
    const decoded = [true, false].map((jit) => {
      const { cpu } = machine(code, jit);
      cpu.setReg(1, 1000);
      expect(cpu.run(1e9).kind).toBe('syscall');
      return cpu.blocks.decodedBlocks;
    });
    expect(decoded).toEqual([4, 3]);
  });

  it('drops a compiled block whose code a hot loop rewrites', () => {
    // A counted loop that adds 1 to rax; when rcx reaches 100 it patches its own "add rax, 1" into
    // "add rax, 2" (the block is compiled long before that).
    const code = [
      0x48,
      0x83,
      0xc0,
      0x01, // 0: add rax, 1
      0x48,
      0x83,
      0xf9,
      0x64, // 4: cmp rcx, 100
      0x75,
      0x07, // 8: jne +7 -> 17
      0xc6,
      0x05,
      0xf2,
      0xff,
      0xff,
      0xff,
      0x02, // 10: mov byte [rip-14] (= CODE+3), 2
      0x48,
      0xff,
      0xc9, // 17: dec rcx
      0x75,
      0xea, // 20: jnz -> 0
      0x0f,
      0x05, // 22: syscall
    ];
    const r = runBoth(code, (cpu) => {
      cpu.setReg(1, 300);
    });
    expect(r.jit.exit).toBe('syscall');
    expect(r.jit).toEqual(r.interp);
    // 201 iterations add 1 (rcx 300..100, the patch happens in the last of them), then 99 add 2.
    expect(r.jit.regs[0]).toBe(201n + 2n * 99n);
  });
});

describe('a fault in a compiled block', () => {
  // mov rax, [rdi] ; nop ; syscall — compiled before its first run (threshold 1), so the fault comes back
  // from compiled code (which returns it to the run loop rather than rethrowing it).
  // biome-ignore format: one instruction per line
  const LOAD = [
    0x48, 0x8b, 0x07, // mov rax, [rdi]
    0x90, // nop
    0x0f, 0x05, // syscall
  ];

  it.each([
    ['a lower-half address', 0x50000000n, 'page fault: page not present'],
    ['an upper-half address', 0xffff800000001000n, 'page fault: page not present'],
  ])('is a precise #PF exit with the address in CR2 and the text (%s)', (_name, address, text) => {
    for (const jit of [true, false]) {
      const { cpu } = machine(LOAD, jit, 4, 1);
      cpu.setReg(7, BigInt.asIntN(64, address));
      const exit = cpu.run(100);
      expect(exit).toMatchObject({ kind: 'exception', vector: 14, cr2: address, detail: text });
      expect(cpu.rip).toBe(CODE); // restarts at the load
      expect(cpu.instret).toBe(0);
    }
  });
});

describe('a page fault on a compiled access that misses the TLB', () => {
  // Each access is compiled before its first run (threshold 1) and faults on the page after DATA, which is
  // not mapped (one data page). The compiled block asks the MMU first and returns the fault without a
  // throw (`accessFaults` says so); the exit, registers and memory must be the interpreter's, the access
  // atomic (a write that crosses into the missing page changes nothing in the mapped one).
  const NEXT = DATA + 4096;
  const cases: [string, number[], number, number, bigint, number][] = [
    // name, instruction, RDI, RSP, CR2, error code (user, plus write)
    ['a 4-byte store that crosses into the page', [0x89, 0x07], NEXT - 2, NEXT, BigInt(NEXT), 6],
    ['a 2-byte store', [0x66, 0x89, 0x07], NEXT, NEXT, BigInt(NEXT), 6],
    ['a 1-byte store', [0x88, 0x07], NEXT + 5, NEXT, BigInt(NEXT + 5), 6],
    ['an 8-byte load', [0x48, 0x8b, 0x07], NEXT + 8, NEXT, BigInt(NEXT + 8), 4],
    ['a 4-byte load that crosses into the page', [0x8b, 0x07], NEXT - 1, NEXT, BigInt(NEXT), 4],
    ['a 16-byte load (movdqu)', [0xf3, 0x0f, 0x6f, 0x07], NEXT - 8, NEXT, BigInt(NEXT), 4],
    ['a 16-byte store (movdqu)', [0xf3, 0x0f, 0x7f, 0x07], NEXT - 8, NEXT, BigInt(NEXT), 6],
    ['a read-modify-write (add [rdi], eax)', [0x01, 0x07], NEXT + 16, NEXT, BigInt(NEXT + 16), 6],
    ['a push', [0x50], DATA, NEXT + 4096, BigInt(NEXT + 4096 - 8), 6],
    ['a pop', [0x58], DATA, NEXT, BigInt(NEXT), 4],
  ];
  it.each(cases)('%s: precise #PF, nothing changed, no throw', (_name, insn, rdi, rsp, cr2, errorCode) => {
    const code = [...insn, 0x90, 0x0f, 0x05]; // insn ; nop ; syscall
    const results = [true, false].map((jit) => {
      const { cpu, as } = machine(code, jit, 1, 1);
      cpu.setReg(0, 0x11223344n);
      cpu.setReg(7, BigInt(rdi));
      cpu.setReg(4, BigInt(rsp));
      const asked = vi.spyOn(cpu, 'accessFaults');
      const exit = cpu.run(100);
      expect(exit).toMatchObject({ kind: 'exception', vector: 14, errorCode, cr2 });
      if (jit) expect(asked.mock.results.some((r) => r.value === true)).toBe(true);
      return {
        exit,
        rip: cpu.rip,
        instret: cpu.instret,
        regs: Array.from({ length: 16 }, (_, r) => cpu.getReg(r)),
        data: Buffer.from(as.read(DATA, 4096)).toString('hex'),
      };
    });
    expect(results[0]).toEqual(results[1]);
    expect(results[0]?.rip).toBe(CODE);
    expect(results[0]?.instret).toBe(0);
    expect(results[0]?.data).toBe('00'.repeat(4096));
  });

  it('a store that hits the TLB after a miss that did not fault goes on in the block', () => {
    // mov [rdi], eax ; mov [rdi+4096], eax (page not mapped) ; syscall: the first store's miss walks and
    // stores, the second faults; the first store stays done (it retired).
    const code = [0x89, 0x07, 0x89, 0x87, 0x00, 0x10, 0x00, 0x00, 0x0f, 0x05];
    const { cpu, as } = machine(code, true, 1, 1);
    cpu.setReg(0, 0x55667788n);
    cpu.setReg(7, BigInt(DATA + 8));
    const exit = cpu.run(100);
    expect(exit).toMatchObject({ kind: 'exception', vector: 14, cr2: BigInt(NEXT + 8) });
    expect(cpu.instret).toBe(1);
    expect(cpu.rip).toBe(CODE + 2);
    expect(Buffer.from(as.read(DATA + 8, 4)).toString('hex')).toBe('88776655');
  });
});

describe('a push in a compiled block', () => {
  // push rax ; nop ; syscall
  // biome-ignore format: one instruction per line
  const PUSH = [
    0x50, // push rax
    0x90, // nop
    0x0f, 0x05, // syscall
  ];

  it.each([
    ['to a non-canonical slot is #SS', 0x800000000008n, 12],
    ['to an unmapped canonical slot is #PF', 0x7ffffff000n, 14],
  ])('%s, RSP and RIP unchanged, in both tiers', (_name, rsp, vector) => {
    for (const jit of [true, false]) {
      const { cpu } = machine(PUSH, jit, 4, 1);
      cpu.setReg(4, rsp);
      const exit = cpu.run(100);
      expect(exit).toMatchObject({ kind: 'exception', vector });
      expect(cpu.getReg(4)).toBe(rsp);
      expect(cpu.rip).toBe(CODE);
    }
  });
});
