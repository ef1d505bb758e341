// The wiring of HMAC-SHA-256 and HKDF-SHA-256, checked against the published test vectors:
// RFC 4231 section 4 (HMAC-SHA-256, test cases 1-7) and RFC 5869 appendix A (HKDF-SHA-256, A.1-A.3).

import { describe, expect, it } from 'vitest';
import {
  constantTimeEqual,
  hkdfExpand,
  hkdfExtract,
  hkdfSha256,
  hmacSha256,
  hmacSha256Parts,
} from '../../src/crypto/primitives.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fill = (n: number, v: number) => new Uint8Array(n).fill(v);
const range = (from: number, to: number) => Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);
const text = (s: string) => new TextEncoder().encode(s);

describe('HMAC-SHA-256: RFC 4231', () => {
  const cases: [string, Uint8Array, Uint8Array, string][] = [
    [
      '1',
      fill(20, 0x0b),
      text('Hi There'),
      'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    ],
    [
      '2',
      text('Jefe'),
      text('what do ya want for nothing?'),
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    ],
    ['3', fill(20, 0xaa), fill(50, 0xdd), '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe'],
    ['4', range(1, 25), fill(50, 0xcd), '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b'],
    [
      '6',
      fill(131, 0xaa),
      text('Test Using Larger Than Block-Size Key - Hash Key First'),
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    ],
    [
      '7',
      fill(131, 0xaa),
      text(
        'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.',
      ),
      '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
    ],
  ];
  it.each(cases)('test case %s', (_n, key, data, mac) => {
    expect(hex(hmacSha256(key, data))).toBe(mac);
    // The incremental form gives the same MAC whatever the split.
    expect(hex(hmacSha256Parts(key, data.subarray(0, 5), data.subarray(5)))).toBe(mac);
  });
  it('test case 5 (truncated to 128 bits)', () => {
    expect(hex(hmacSha256(fill(20, 0x0c), text('Test With Truncation')).subarray(0, 16))).toBe(
      'a3b6167473100ee06e0c796c2955552b',
    );
  });
});

describe('HKDF-SHA-256: RFC 5869', () => {
  it('A.1 basic test case', () => {
    const prk = hkdfExtract(fill(22, 0x0b), range(0, 12));
    expect(hex(prk)).toBe('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
    expect(hex(hkdfExpand(prk, range(0xf0, 0xf9), 42))).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });
  it('A.2 longer inputs and outputs', () => {
    const prk = hkdfExtract(range(0, 0x4f), range(0x60, 0xaf));
    expect(hex(prk)).toBe('06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244');
    expect(hex(hkdfSha256(range(0, 0x4f), range(0x60, 0xaf), range(0xb0, 0xff), 82))).toBe(
      'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87',
    );
  });
  it('A.3 zero-length salt and info', () => {
    const prk = hkdfExtract(fill(22, 0x0b), new Uint8Array(0));
    expect(hex(prk)).toBe('19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04');
    expect(hex(hkdfExpand(prk, new Uint8Array(0), 42))).toBe(
      '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
    );
  });
});

describe('constantTimeEqual', () => {
  it('compares content and length', () => {
    expect(constantTimeEqual(range(1, 32), range(1, 32))).toBe(true);
    const b = range(1, 32);
    b[31] ^= 1;
    expect(constantTimeEqual(range(1, 32), b)).toBe(false);
    expect(constantTimeEqual(range(1, 32), range(1, 31))).toBe(false);
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});
