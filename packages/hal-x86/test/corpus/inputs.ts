/**
 * Deterministic input generators (stdin contents) shared by the corpus and
 * busybox tests.  They use a small xorshift generator so that the same seed
 * always yields the same bytes on every machine.
 */

/** xorshift32-based generator; `next()` returns an unsigned 32-bit integer. */
export function rng(seed: number): { next(): number; below(n: number): number } {
  let s = (seed ^ 0x9e3779b9) >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  return { next, below: (n: number) => Math.floor((next() / 4294967296) * n) };
}

/** `n` pseudo-random bytes. */
export function randomBytes(seed: number, n: number): Uint8Array {
  const r = rng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = r.next() & 0xff;
  return out;
}

const WORDS = [
  'alpha',
  'beta',
  'gamma',
  'delta',
  'exo',
  'kernel',
  'page',
  'trap',
  'x86',
  'cpu',
  'ring0',
  'syscall',
  'musl',
  'busybox',
  'vitest',
  'lorem',
  'ipsum',
  'dolor',
  'sit',
  'amet',
  '42',
  '7',
  '3.14',
  'ExoV6',
  'Hello',
  'WORLD',
];

/** Roughly `approxBytes` of ASCII text: words separated by spaces, lines ending in '\n'. */
export function textLines(seed: number, approxBytes: number): Uint8Array {
  const r = rng(seed);
  const lines: string[] = [];
  let size = 0;
  while (size < approxBytes) {
    const n = r.below(12);
    const words: string[] = [];
    for (let i = 0; i < n; i++) words.push(WORDS[r.below(WORDS.length)]);
    const line = words.join(r.below(8) === 0 ? '\t' : ' ');
    lines.push(line);
    size += line.length + 1;
  }
  return new TextEncoder().encode(`${lines.join('\n')}\n`);
}

/** /etc/passwd-like records (colon separated), for `cut -d: -f2` and friends. */
export function passwdLike(seed: number, count: number): Uint8Array {
  const r = rng(seed);
  let s = '';
  for (let i = 0; i < count; i++) {
    const user = WORDS[r.below(WORDS.length)].toLowerCase().replace(/\W/g, '') + i;
    s += `${user}:x:${1000 + i}:${100 + r.below(50)}:${WORDS[r.below(WORDS.length)]} user:/home/${user}:/bin/sh\n`;
  }
  return new TextEncoder().encode(s);
}

/** Numbers one per line (for sort -n, awk sums ...). */
export function numberLines(seed: number, count: number): Uint8Array {
  const r = rng(seed);
  let s = '';
  for (let i = 0; i < count; i++) s += `${r.below(100000) - 50000}\n`;
  return new TextEncoder().encode(s);
}
