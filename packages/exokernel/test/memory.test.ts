/**
 * Frames, address spaces and mappings through capabilities: allocation against a quota, mapping with the
 * rights and labels the primitive table asks for, sharing read-only, and revocation that unmaps
 * everywhere and tells the holders.
 */
import { Rights } from '@exov6/caplattice';
import { describe, expect, it } from 'vitest';
import { ExoError, Exokernel } from '../src/index';

function boot(quota = 64) {
  const kernel = new Exokernel({ memoryBytes: 4 << 20 });
  const root = kernel.createRootEnvironment({ quota });
  return { kernel, root, api: kernel.bind(root) };
}

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof ExoError) return e.code;
    throw e;
  }
  return 'ok';
}

describe('frames', () => {
  it('are zeroed, readable and writable through their capability, and charged to the quota', () => {
    const { api } = boot(4);
    const f = api.frameAlloc();
    expect(api.quotaFree).toBe(3);
    expect([...api.frameRead(f, 0, 8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    api.frameWrite(f, 100, Uint8Array.of(1, 2, 3));
    expect([...api.frameRead(f, 99, 5)]).toEqual([0, 1, 2, 3, 0]);
    api.frameAlloc();
    api.frameAlloc();
    api.frameAlloc();
    expect(code(() => api.frameAlloc())).toBe('E_NOMEM');
    api.frameFree(f);
    expect(api.quotaFree).toBe(1);
    expect(code(() => api.frameRead(f, 0, 1))).toBe('E_BADCAP');
  });

  it('only the allocation capability frees a frame, and freeing revokes every copy', () => {
    const { api } = boot();
    const f = api.frameAlloc();
    const readOnly = api.capDerive(f, { rights: Rights.READ | Rights.MAP | Rights.REVOKE });
    expect(code(() => api.frameFree(readOnly))).toBe('E_RIGHTS');
    api.frameFree(f);
    expect(code(() => api.frameRead(readOnly, 0, 1))).toBe('E_BADCAP');
  });
});

describe('mappings', () => {
  it('map a frame where the MMU walks it, with the permissions the capability allows', () => {
    const { kernel, api } = boot();
    const as = api.asCreate();
    const f = api.frameAlloc();
    api.frameWrite(f, 0, Uint8Array.of(0xaa));
    api.map(as, 0x400000, f, { writable: true });
    expect(api.lookup(as, 0x400000)).toBe(kernel.capInspect(kernel.environment(api.envId)!, f).objectId);
    expect(code(() => api.map(as, 0x400000, f))).toBe('E_EXISTS');
    const ro = api.capDerive(f, { rights: Rights.READ | Rights.MAP });
    expect(code(() => api.map(as, 0x401000, ro, { writable: true }))).toBe('E_RIGHTS');
    expect(code(() => api.map(as, 0x401000, ro, { executable: true }))).toBe('E_RIGHTS');
    api.map(as, 0x401000, ro);
    expect(code(() => api.map(as, 0x402001, f))).toBe('E_INVAL');
    expect(code(() => api.map(as, -4096, f))).toBe('E_INVAL');
    expect(code(() => api.map(as, 2 ** 47, f))).toBe('E_INVAL');
    expect(code(() => api.map(f, 0x403000, f))).toBe('E_TYPE');
    api.unmap(as, 0x401000);
    expect(api.lookup(as, 0x401000)).toBeNull();
    expect(code(() => api.unmap(as, 0x401000))).toBe('E_NOENT');
  });

  it('follow the labels: no read up, no write down', () => {
    const { api } = boot();
    const as = api.asCreate(); // at the root's label, the top
    const low = api.frameAlloc({ label: 'USER' });
    api.map(as, 0x1000, low); // reading a USER frame from the top is fine
    expect(() => api.map(as, 0x2000, low, { writable: true })).toThrow(/E_LABEL/); // writing down is not
    const child = api.envCreate({ quota: 8, label: 'USER' });
    expect(child).toBeGreaterThanOrEqual(0);
    expect(code(() => api.envCreate({ quota: 1, label: 'NO_SUCH_LABEL' }))).toBe('E_INVAL');
  });

  it('are removed everywhere when the capability that made them is revoked, and the holder is told', () => {
    const { kernel, root, api } = boot();
    const childCap = api.envCreate({ quota: 8 });
    const child = kernel.bind(kernel.environmentOf(root, childCap));
    const frame = api.frameAlloc();
    const shared = api.capGrant(frame, { rights: Rights.READ | Rights.MAP }, childCap);
    const childSpace = child.asCreate();
    child.map(childSpace, 0x10000, shared);
    child.map(childSpace, 0x20000, shared);
    expect(child.lookup(childSpace, 0x10000)).not.toBeNull();

    expect(api.capRevoke(frame)).toBe(1);
    expect(child.lookup(childSpace, 0x10000)).toBeNull();
    expect(child.lookup(childSpace, 0x20000)).toBeNull();
    const notices = child.takeRevocations();
    expect(notices).toEqual([
      { capId: shared, object: { type: 'frame', id: expect.any(Number) }, unmapped: 2 },
    ]);
    expect(child.takeRevocations()).toEqual([]);
    // The allocator keeps its own capability and mapping rights.
    const mine = api.asCreate();
    api.map(mine, 0x1000, frame, { writable: true });
  });

  it('are removed when the capability is deleted, and charge page tables to the quota', () => {
    const { api } = boot(8);
    const as = api.asCreate(); // the PML4: 1 frame
    const f = api.frameAlloc(); // 1 frame
    const copy = api.capDerive(f, { rights: Rights.READ | Rights.MAP });
    api.map(as, 0x7000_0000_0000, copy); // PDPT, PD, PT: 3 frames
    expect(api.quotaFree).toBe(3);
    api.capDelete(copy);
    expect(api.lookup(as, 0x7000_0000_0000)).toBeNull();
    expect(code(() => api.capDelete(f))).toBe('E_STATE');
  });
});
