/**
 * A creation refused because the capability cannot be placed (the caller's space or the derivation tree
 * is full: E_FULL) leaves nothing behind: no frame, endpoint, address space or environment without a
 * capability to it, and no quota spent. Filling a real space takes 2^24 capabilities, so the tests make
 * the placement fail directly.
 */
import { CapSpace, CapabilityError } from '@exov6/caplattice';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type EnvApi, Exokernel } from '../src/index';
import { code } from './support/error-code';

const full = () => {
  throw new CapabilityError('SPACE_FULL', 'full (made to fail by the test)');
};

const creations: [string, (os: EnvApi) => unknown][] = [
  ['frameAlloc', (os) => os.frameAlloc()],
  ['endpointCreate', (os) => os.endpointCreate()],
  ['asCreate', (os) => os.asCreate()],
  ['envCreate', (os) => os.envCreate({ quota: 5 })],
];

afterEach(() => {
  vi.restoreAllMocks();
});

describe.each([
  ['the caller’s copy cannot be placed', 'derive'],
  ['the derivation tree is full', 'create'],
] as const)('a creation refused with E_FULL when %s', (_why, method) => {
  it.each(creations)('%s: changes nothing, and the next one works', (_name, create) => {
    const kernel = new Exokernel({ memoryBytes: 8 << 20 });
    const os = kernel.bind(kernel.createRootEnvironment({ quota: 64 }));
    create(os); // one that works, so the kernel's structures exist
    const before = kernel.snapshot();
    const quota = os.quotaFree;
    vi.spyOn(CapSpace.prototype, method).mockImplementationOnce(full);
    expect(code(() => create(os))).toBe('E_FULL');
    expect(kernel.snapshot()).toEqual(before);
    expect(os.quotaFree).toBe(quota);
    expect(code(() => create(os))).toBe('ok');
  });
});
