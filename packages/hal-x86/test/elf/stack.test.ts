import { describe, expect, it } from 'vitest';
import { AT, buildInitialStack, linuxAuxv, MAX_ARG_BYTES } from '../../src/elf/stack';

const TOP = 0x7ffffffff000;
const random = Uint8Array.from({ length: 16 }, (_, k) => k + 1);

function cstr(bytes: Uint8Array, offset: number): string {
  let end = offset;
  while (bytes[end] !== 0) end++;
  return new TextDecoder().decode(bytes.subarray(offset, end));
}

describe('buildInitialStack', () => {
  const auxv = linuxAuxv({
    phdr: 0x400040,
    phent: 56,
    phnum: 5,
    entry: 0x401000,
    hwcap: 0x078bfbff,
    uid: 1000,
    gid: 1000,
  });
  const s = buildInitialStack({
    stackTop: TOP,
    argv: ['prog', 'a b', ''],
    env: ['A=1', 'HOME=/'],
    execfn: '/bin/prog',
    random,
    auxv,
  });
  const view = new DataView(s.bytes.buffer);
  const at = (va: number) => Number(view.getBigUint64(va - s.sp, true));

  it('puts argc at a 16-byte aligned RSP, then argv, envp and auxv', () => {
    expect(s.sp % 16).toBe(0);
    expect(s.sp + s.bytes.length).toBe(TOP);
    expect(at(s.sp)).toBe(3);
    const argv = [at(s.sp + 8), at(s.sp + 16), at(s.sp + 24)];
    expect(at(s.sp + 32)).toBe(0);
    expect(argv.map((p) => cstr(s.bytes, p - s.sp))).toEqual(['prog', 'a b', '']);
    const envp = [at(s.sp + 40), at(s.sp + 48)];
    expect(at(s.sp + 56)).toBe(0);
    expect(envp.map((p) => cstr(s.bytes, p - s.sp))).toEqual(['A=1', 'HOME=/']);
    const pairs: [number, number][] = [];
    for (let p = s.sp + 64; ; p += 16) {
      pairs.push([at(p), at(p + 8)]);
      if (at(p) === AT.NULL) break;
    }
    const aux = new Map(pairs);
    expect(aux.get(AT.PHDR)).toBe(0x400040);
    expect(aux.get(AT.PHENT)).toBe(56);
    expect(aux.get(AT.PHNUM)).toBe(5);
    expect(aux.get(AT.PAGESZ)).toBe(4096);
    expect(aux.get(AT.BASE)).toBe(0);
    expect(aux.get(AT.FLAGS)).toBe(0);
    expect(aux.get(AT.ENTRY)).toBe(0x401000);
    expect(aux.get(AT.UID)).toBe(1000);
    expect(aux.get(AT.EGID)).toBe(1000);
    expect(aux.get(AT.SECURE)).toBe(0);
    expect(aux.get(AT.HWCAP)).toBe(0x078bfbff);
    expect(aux.get(AT.HWCAP2)).toBe(0);
    expect(aux.get(AT.CLKTCK)).toBe(100);
    expect(cstr(s.bytes, (aux.get(AT.EXECFN) as number) - s.sp)).toBe('/bin/prog');
    expect(cstr(s.bytes, (aux.get(AT.PLATFORM) as number) - s.sp)).toBe('x86_64');
    const r = aux.get(AT.RANDOM) as number;
    expect([...s.bytes.subarray(r - s.sp, r - s.sp + 16)]).toEqual([...random]);
    expect(pairs[pairs.length - 1]).toEqual([AT.NULL, 0]);
  });

  it('places strings like fs/exec.c: file name highest, then environment, then arguments', () => {
    expect(s.execfnAddress).toBe(TOP - 8 - '/bin/prog'.length - 1);
    expect(at(TOP - 8)).toBe(0);
    expect(s.envAddresses[1]).toBeLessThan(s.execfnAddress);
    expect(s.envAddresses[0]).toBeLessThan(s.envAddresses[1] as number);
    expect(s.argvAddresses[2]).toBeLessThan(s.envAddresses[0] as number);
    expect(s.argvAddresses[0]).toBeLessThan(s.argvAddresses[1] as number);
    expect(s.platformAddress).toBeLessThan(s.argvAddresses[0] as number);
    expect(s.randomAddress).toBe(s.platformAddress - 16);
  });

  it('stays aligned for every argument count parity', () => {
    for (let n = 0; n < 6; n++) {
      const t = buildInitialStack({
        stackTop: TOP,
        argv: Array(n).fill('x'),
        env: [],
        execfn: 'x',
        random,
        auxv,
      });
      expect(t.sp % 16).toBe(0);
      expect(Number(new DataView(t.bytes.buffer).getBigUint64(0, true))).toBe(n);
    }
  });

  it('encodes UTF-8 and refuses NUL characters and oversized arguments', () => {
    const u = buildInitialStack({ stackTop: TOP, argv: ['héllo'], env: [], execfn: 'x', random, auxv });
    expect(cstr(u.bytes, (u.argvAddresses[0] as number) - u.sp)).toBe('héllo');
    expect(() =>
      buildInitialStack({ stackTop: TOP, argv: ['a\0b'], env: [], execfn: 'x', random, auxv }),
    ).toThrow(/NUL/);
    expect(() =>
      buildInitialStack({
        stackTop: TOP,
        argv: ['x'.repeat(MAX_ARG_BYTES)],
        env: [],
        execfn: 'x',
        random,
        auxv,
      }),
    ).toThrow(/E2BIG/);
    expect(() =>
      buildInitialStack({ stackTop: TOP, argv: [], env: [], execfn: 'x', random: new Uint8Array(3), auxv }),
    ).toThrow(/16 bytes/);
  });
});
