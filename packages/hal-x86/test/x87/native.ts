/**
 * Runs x87 test cases on the host CPU through oracle.c (compiled once, cached by content hash in
 * test/.build/x87) and parses what it prints.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildHostProgram } from '../support/host-program';

const here = dirname(fileURLToPath(import.meta.url));

export const CODE_ADDR = 0x10000000;
export const DATA_ADDR = 0x10100000;
export const DATA_SIZE = 512;

/** One case: the code runs with RBX = DATA_ADDR after FRSTOR of `state`. */
export interface X87Case {
  code: Uint8Array;
  /** Instructions in `code` (the simulated CPU runs exactly this many). */
  count: number;
  /** 108-byte FNSAVE image loaded before the code runs. */
  state: Uint8Array;
  /** DATA_SIZE bytes at DATA_ADDR. */
  data: Uint8Array;
  rflags: number;
  rax: bigint;
  note: string;
}

/**
 * The machine after a case. `kind` 'done': the code ran to its end and `image` is the 108-byte FNSAVE
 * image. 'fault': an exception stopped it at `ripOffset`; the x87 state is then in `fx` (the first 160
 * bytes of the FXSAVE image the fault handler saw).
 */
export interface X87Outcome {
  kind: 'done' | 'fault';
  /** Exception vector for faults (#MF 16, #UD 6, #PF/#GP 14/13 as SIGSEGV -> 14). */
  vector: number;
  ripOffset: number;
  image: Uint8Array;
  fx: Uint8Array;
  rflags: number;
  rax: bigint;
  data: Uint8Array;
}

let compiled: string | null | undefined;
let whyNot = '';

export function nativeOracle(): string | null {
  if (compiled !== undefined) return compiled;
  const built = buildHostProgram(join(here, 'oracle.c'), 'x87', 'the x87 comparison with the host CPU', [
    '-O1',
    '-Wall',
    '-fno-stack-protector',
  ]);
  whyNot = built.whyNot;
  compiled = built.path;
  return compiled;
}

export function oracleUnavailableReason(): string {
  return whyNot;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const SIGNAL_VECTOR: Record<number, number> = { 4: 6, 8: 16, 11: 14, 7: 14 };

export function runNative(cases: readonly X87Case[]): X87Outcome[] {
  const path = nativeOracle();
  if (!path) throw new Error(whyNot);
  const lines = cases.map(
    (c) =>
      `${c.code.length ? hex(c.code) : '90'} ${hex(c.state)} ${hex(c.data)} ${(c.rflags >>> 0).toString(16)} ${c.rax.toString(16)}`,
  );
  const res = spawnSync(path, [], { input: `${lines.join('\n')}\n`, maxBuffer: 1 << 30, timeout: 120_000 });
  if (res.status !== 0)
    throw new Error(`x87 oracle failed (status ${res.status}): ${res.stderr?.toString()}`);
  const out = res.stdout.toString().split('\n');
  if (out[out.length - 1] === '') out.pop();
  if (out.length !== cases.length)
    throw new Error(`x87 oracle returned ${out.length} lines for ${cases.length}`);
  return out.map((line) => {
    const p = line.split(' ');
    const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
    if (p[0] === 'N') {
      return {
        kind: 'done',
        vector: -1,
        ripOffset: -1,
        image: bytes(p[1] as string),
        fx: new Uint8Array(0),
        rflags: Number.parseInt(p[2] as string, 16),
        rax: BigInt(`0x${p[3]}`),
        data: bytes(p[4] as string),
      };
    }
    const sig = Number((p[0] as string).slice(1));
    return {
      kind: 'fault',
      vector: SIGNAL_VECTOR[sig] ?? -sig,
      ripOffset: Number.parseInt(p[1] as string, 16),
      image: new Uint8Array(0),
      fx: bytes(p[2] as string),
      rflags: Number.parseInt(p[3] as string, 16),
      rax: BigInt(`0x${p[4]}`),
      data: bytes(p[5] as string),
    };
  });
}
