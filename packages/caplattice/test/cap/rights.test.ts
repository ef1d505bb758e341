import { describe, expect, it } from 'vitest';
import { BUILTIN_RIGHTS, defineRights, InvalidArgumentError, Rights, RightsSchema } from '../../src/index.js';

describe('rights', () => {
  it('has the fourteen built-in rights, one bit each', () => {
    expect(BUILTIN_RIGHTS).toEqual([
      'READ',
      'WRITE',
      'EXECUTE',
      'MAP',
      'GRANT',
      'REVOKE',
      'TRANSFER',
      'DUPLICATE',
      'INVOKE',
      'DMA',
      'IRQ',
      'TIMER',
      'IPC_SEND',
      'IPC_RECV',
    ]);
    const bits = Object.values(Rights);
    expect(new Set(bits).size).toBe(14);
    for (const b of bits) expect(b & (b - 1)).toBe(0);
  });

  it('formats and parses masks', () => {
    const r = RightsSchema.builtin;
    expect(r.format(Rights.READ | Rights.GRANT)).toBe('READ|GRANT');
    expect(r.format(0)).toBe('NONE');
    expect(r.format(2 ** 20)).toBe('BIT20');
    expect(r.parse('READ | WRITE')).toBe(Rights.READ | Rights.WRITE);
    expect(r.parse('NONE')).toBe(0);
    expect(() => r.parse('READ|FLY')).toThrow(/unknown right "FLY"/);
    expect(r.all).toBe(2 ** 14 - 1);
  });

  it('lets users define up to 18 more rights, including bit 31', () => {
    const extra = Array.from({ length: 18 }, (_, i) => `EXTRA_${i}`);
    const r = defineRights(extra);
    expect(r.bit('EXTRA_0')).toBe(2 ** 14);
    expect(r.bit('EXTRA_17')).toBe(2 ** 31);
    expect(r.all).toBe(0xffff_ffff);
    expect(r.format(2 ** 31 + 1)).toBe('READ|EXTRA_17');
    expect(() => defineRights([...extra, 'ONE_TOO_MANY'])).toThrow(/do not fit in 32 bits/);
    expect(() => defineRights(['READ'])).toThrow(/already defined/);
    expect(() => defineRights(['lower'])).toThrow(InvalidArgumentError);
  });
});
