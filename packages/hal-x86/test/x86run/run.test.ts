import { describe, expect, it } from 'vitest';
import { CPUID1_EDX } from '../../src/cpu/cpuid';
import { Reg } from '../../src/cpu/registers';
import { ElfError } from '../../src/elf/elf';
import { AT } from '../../src/elf/stack';
import { LinuxProcess, runStaticElf } from '../../src/x86run/run';
import { STACK_TOP } from '../../src/x86run/vm';
import { buildProgram, programLayout } from '../elf/elf-builder';
import { Asm, R } from './asm';

const { text, data } = programLayout();
const MEM = 32 * 1024 * 1024;
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

/** A static executable from hand-assembled code, with `msg` at the start of the data segment. */
function program(build: (a: Asm) => void, msg = 'hi\n', bss = 0x1000): Uint8Array {
  const a = new Asm();
  build(a);
  return buildProgram({ code: a.build(), data: new TextEncoder().encode(msg), bss });
}

const run = (elf: Uint8Array, extra: Partial<Parameters<typeof runStaticElf>[1]> = {}) =>
  runStaticElf(elf, { argv: ['prog'], memoryBytes: MEM, maxInstructions: 50_000_000, ...extra });

describe('runStaticElf: system calls from hand-assembled code', () => {
  it('writes "hi\\n" and exits with status 3', () => {
    const r = run(program((a) => a.sys(1, 1, data, 3).sys(60, 3)));
    expect(r.exitCode).toBe(3);
    expect(decode(r.stdout)).toBe('hi\n');
    expect(r.stderr.length).toBe(0);
    expect(r.fault).toBeUndefined();
    expect(r.signal).toBeUndefined();
    expect(r.syscalls).toBe(2);
    expect(r.instructions).toBeGreaterThan(0);
  });

  it('runs position-independent code as static-pie at 0x555555554000', () => {
    const pie = programLayout(true);
    const a = new Asm();
    a.movImm(R.rdi, 2).leaRip(R.rsi, pie.data, pie.text).movImm(R.rdx, 4).movImm(R.rax, 1).syscall().exit(0);
    const elf = buildProgram({ code: a.build(), data: new TextEncoder().encode('pie\n'), pie: true });
    const proc = new LinuxProcess(elf, { argv: ['pie'], memoryBytes: MEM });
    expect(proc.cpu.rip).toBe(0x555555555000);
    const r = proc.run();
    expect(r.exitCode).toBe(0);
    expect(decode(r.stderr)).toBe('pie\n');
  });

  it('streams output through callbacks as the guest writes, in order', () => {
    const events: string[] = [];
    const r = run(
      program(
        (a) =>
          a
            .sys(1, 1, data, 2)
            .sys(1, 2, data + 2, 1)
            .sys(1, 1, data, 1)
            .exit(0),
        'ab!',
      ),
      { stdout: (b) => events.push(`out:${decode(b)}`), stderr: (b) => events.push(`err:${decode(b)}`) },
    );
    expect(events).toEqual(['out:ab', 'err:!', 'out:a']);
    expect(decode(r.stdout)).toBe('aba');
    const quiet = run(
      program((a) => a.sys(1, 1, data, 2).exit(0), 'ab'),
      { stdout: () => {}, collectOutput: false },
    );
    expect(quiet.stdout.length).toBe(0);
  });

  it('reads stdin from a buffer, then reports end of file', () => {
    const echo = program((a) => {
      a.sys(0, 0, data, 64).mov(R.rdx, R.rax).movImm(R.rdi, 1).movImm(R.rsi, data).movImm(R.rax, 1).syscall();
      a.sys(0, 0, data, 64).mov(R.rdi, R.rax).movImm(R.rax, 231).syscall(); // exit(read() == 0 at EOF)
    }, '');
    const r = run(echo, { stdin: new TextEncoder().encode('hello') });
    expect(decode(r.stdout)).toBe('hello');
    expect(r.exitCode).toBe(0);
    const chunks = [new TextEncoder().encode('x'), new TextEncoder().encode('yz')];
    const r2 = run(echo, { stdin: () => chunks.shift() ?? null });
    expect(decode(r2.stdout)).toBe('x');
    expect(r2.exitCode).toBe(2); // the second read returned "yz"
  });

  it('answers unknown system calls with ENOSYS and counts them', () => {
    const strace: string[] = [];
    const r = run(
      program((a) => a.sys(500).mov(R.rdi, R.rax).movImm(R.rax, 231).syscall()),
      { strace: (l) => strace.push(l) },
    );
    expect(r.exitCode).toBe(-38 & 0xff);
    expect(r.unknownSyscalls).toEqual({ syscall_500: 1 });
    expect(strace[0]).toMatch(/^syscall_500\(.*\) = -1 ENOSYS \(not implemented\)$/);
    expect(strace[1]).toMatch(/^exit_group\(-38\)/);
  });

  it('refuses bad files with ElfError before running', () => {
    expect(() => runStaticElf(new Uint8Array(10), { argv: ['x'] })).toThrow(ElfError);
    expect(() => runStaticElf(new Uint8Array(10), { argv: ['x'] })).toThrow(/not an ELF file/);
  });

  it('validates its options', () => {
    const elf = program((a) => a.exit(0));
    expect(() => runStaticElf(elf, { argv: 'x' as unknown as string[] })).toThrow(TypeError);
    expect(() => runStaticElf(elf, { argv: ['x'], memoryBytes: 1000 })).toThrow(RangeError);
    expect(() => runStaticElf(elf, { argv: ['x\0y'], memoryBytes: MEM })).toThrow(/NUL/);
  });

  it('reports an image that does not fit in guest memory as ElfError', () => {
    const big = buildProgram({ code: new Asm().exit(0).build(), data: new Uint8Array(6 * 1024 * 1024) });
    expect(() => runStaticElf(big, { argv: ['x'], memoryBytes: 4 * 1024 * 1024 })).toThrow(
      /does not fit in 4 MiB/,
    );
  });
});

describe('initial process state', () => {
  const elf = program((a) => a.exit(0));
  const proc = new LinuxProcess(elf, {
    argv: ['prog', 'one', 'two'],
    env: ['A=b', 'EMPTY='],
    memoryBytes: MEM,
    seed: 7,
  });
  const rsp = proc.cpu.rsp;
  const u64 = (va: number) => Number(new DataView(proc.cpu.readBytes(va, 8).buffer).getBigUint64(0, true));
  const str = (va: number) => {
    let s = '';
    for (let c = proc.cpu.readBytes(va, 1)[0]; c !== 0; c = proc.cpu.readBytes(++va, 1)[0])
      s += String.fromCharCode(c as number);
    return s;
  };

  it('has RSP 16-byte aligned at argc, RIP at the entry point, every other register zero', () => {
    expect(rsp % 16).toBe(0);
    expect(rsp).toBeLessThan(STACK_TOP);
    expect(proc.cpu.rip).toBe(text);
    for (let r = 0; r < 16; r++) if (r !== Reg.RSP) expect(proc.cpu.getReg(r)).toBe(0n);
    expect(proc.cpu.fsBase).toBe(0);
  });

  it('lays out argc, argv, envp and auxv in guest memory', () => {
    expect(u64(rsp)).toBe(3);
    expect([1, 2, 3].map((k) => str(u64(rsp + 8 * k)))).toEqual(['prog', 'one', 'two']);
    expect(u64(rsp + 32)).toBe(0);
    expect([5, 6].map((k) => str(u64(rsp + 8 * k)))).toEqual(['A=b', 'EMPTY=']);
    expect(u64(rsp + 56)).toBe(0);
    const aux = new Map<number, number>();
    for (let p = rsp + 64; ; p += 16) {
      aux.set(u64(p), u64(p + 8));
      if (u64(p) === AT.NULL) break;
    }
    // AT_PHDR points at the program headers inside the first segment (there is no PT_PHDR).
    const phdr = aux.get(AT.PHDR) as number;
    expect(phdr).toBe(0x400040);
    expect([...proc.cpu.readBytes(phdr, 56 * 3)]).toEqual([...elf.subarray(64, 64 + 56 * 3)]);
    expect(aux.get(AT.PHENT)).toBe(56);
    expect(aux.get(AT.PHNUM)).toBe(3);
    expect(aux.get(AT.ENTRY)).toBe(text);
    expect(aux.get(AT.PAGESZ)).toBe(4096);
    expect(aux.get(AT.HWCAP)).toBe(CPUID1_EDX >>> 0);
    expect(str(aux.get(AT.EXECFN) as number)).toBe('prog');
    expect(str(aux.get(AT.PLATFORM) as number)).toBe('x86_64');
    expect(aux.get(AT.UID)).toBe(1000);
    expect(aux.get(AT.SECURE)).toBe(0);
  });

  it('derives AT_RANDOM from the seed', () => {
    const randomOf = (seed: number) => {
      const p = new LinuxProcess(elf, { argv: ['p'], memoryBytes: MEM, seed });
      for (let at = p.cpu.rsp + 8 * 4; ; at += 16) {
        // argc, argv[0], NULL, (no environment) NULL, then the auxv pairs
        const view = new DataView(p.cpu.readBytes(at, 16).buffer);
        if (Number(view.getBigUint64(0, true)) === AT.RANDOM)
          return [...p.cpu.readBytes(Number(view.getBigUint64(8, true)), 16)];
      }
    };
    expect(randomOf(1)).toEqual(randomOf(1));
    expect(randomOf(1)).not.toEqual(randomOf(2));
  });
});

describe('guest faults end the process like Linux signals', () => {
  it('#UD: SIGILL, 132, with RIP and the instruction bytes', () => {
    const r = run(program((a) => a.raw(0x90).ud2()));
    expect(r.exitCode).toBe(132);
    expect(r.signal).toBe('SIGILL');
    expect(r.fault).toMatch(/^SIGILL: #UD .* at rip 0x401001: 0f 0b \(ud2\)/);
  });

  it('NULL dereference: SIGSEGV, 139, address not mapped', () => {
    const r = run(program((a) => a.loadAbs(0)));
    expect(r.exitCode).toBe(139);
    expect(r.signal).toBe('SIGSEGV');
    expect(r.fault).toMatch(/#PF read from 0x0: address not mapped, at rip 0x401000/);
  });

  it('write to read-only text: SIGSEGV with a permission message', () => {
    const r = run(program((a) => a.storeAbs(text)));
    expect(r.exitCode).toBe(139);
    expect(r.fault).toMatch(/#PF write to 0x401000: permission denied \(image area is r-x\)/);
  });

  it('divide by zero: SIGFPE, 136', () => {
    const r = run(program((a) => a.divideByZero()));
    expect(r.exitCode).toBe(136);
    expect(r.signal).toBe('SIGFPE');
    expect(r.fault).toMatch(/#DE divide error at rip 0x401002: f7 f1/);
  });

  it('hlt in user mode: #GP, SIGSEGV', () => {
    const r = run(program((a) => a.raw(0xf4)));
    expect(r.exitCode).toBe(139);
    expect(r.fault).toMatch(/#GP/);
  });

  it('jump to unmapped memory: SIGSEGV on the instruction fetch', () => {
    const r = run(program((a) => a.movImm(R.rax, 0x12345000).raw(0xff, 0xe0))); // jmp rax
    expect(r.exitCode).toBe(139);
    expect(r.fault).toMatch(/instruction fetch from 0x12345000/);
  });

  it('executing the data segment: SIGSEGV (no-execute)', () => {
    const r = run(program((a) => a.movImm(R.rax, data).raw(0xff, 0xe0)));
    expect(r.exitCode).toBe(139);
    expect(r.fault).toMatch(/instruction fetch from 0x402000: permission denied/);
  });

  it('abort(): kill(getpid(), SIGABRT) ends with 134', () => {
    const r = run(
      program((a) => a.sys(39).mov(R.rdi, R.rax).movImm(R.rsi, 6).movImm(R.rax, 62).syscall().exit(0)),
    );
    expect(r.exitCode).toBe(134);
    expect(r.signal).toBe('SIGABRT');
    const t = run(program((a) => a.sys(234, 1000, 1000, 6).exit(0)));
    expect(t.exitCode).toBe(134);
    const ignored = run(program((a) => a.sys(62, 1000, 17).exit(5))); // SIGCHLD is ignored by default
    expect(ignored.exitCode).toBe(5);
  });

  it('stops at the instruction limit as SIGXCPU (152)', () => {
    const r = run(
      program((a) => a.spin()),
      { maxInstructions: 10_000 },
    );
    expect(r.exitCode).toBe(152);
    expect(r.signal).toBe('SIGXCPU');
    expect(r.instructions).toBe(10_000);
  });
});

describe('memory on demand', () => {
  /** Touches `pages` pages below RSP, one every 4 KiB, then exits 0. */
  const stackToucher = (pages: number) =>
    program((a) => {
      a.movImm(R.rcx, pages);
      const loop = a.here();
      a.subRsp(4096).storeTo(R.rsp).decRcx().jnz(loop);
      a.exit(0);
    });

  it('grows the stack on page faults up to 8 MiB', () => {
    const r = run(stackToucher(1800)); // about 7 MiB
    expect(r.fault).toBeUndefined();
    expect(r.exitCode).toBe(0);
  });

  it('reports a stack overflow beyond 8 MiB as SIGSEGV', () => {
    const r = run(stackToucher(2100));
    expect(r.exitCode).toBe(139);
    expect(r.fault).toMatch(/stack overflow/);
  });

  it('maps bss pages when first touched, reading as zero', () => {
    const bss = data + 0x10000;
    const r = run(
      program((a) => a.loadAbs(bss).mov(R.rdi, R.rax).movImm(R.rax, 231).syscall(), 'x', 0x20000),
    );
    expect(r.exitCode).toBe(0);
    expect(r.fault).toBeUndefined();
  });

  it('gives SIGKILL (137) when the guest runs out of physical memory', () => {
    // Touch 64 MiB of a mapping in a 32 MiB machine: mmap(NULL, 64M, RW, PRIVATE|ANON) then a page loop.
    const r = run(
      program((a) => {
        a.sys(9, 0, 64 * 1024 * 1024, 3, 0x22, -1, 0)
          .mov(R.rsi, R.rax)
          .movImm(R.rcx, 16384);
        const loop = a.here();
        a.raw(0x48, 0x89, 0x06) // mov [rsi], rax
          .raw(0x48, 0x81, 0xc6, 0x00, 0x10, 0x00, 0x00) // add rsi, 4096
          .decRcx()
          .jnz(loop);
        a.exit(0);
      }),
    );
    expect(r.exitCode).toBe(137);
    expect(r.fault).toMatch(/out of memory/);
  });
});
