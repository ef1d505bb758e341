/**
 * Frames, address spaces and mappings through capabilities: allocation against a quota, mapping with the
 * rights and labels the primitive table asks for, sharing read-only, and revocation that unmaps
 * everywhere and tells the holders.
 */
import { Rights } from '@exov6/caplattice';
import { describe, expect, it } from 'vitest';
import { Exokernel } from '../src/index';
import { code } from './support/error-code';

function boot(quota = 64) {
  const kernel = new Exokernel({ memoryBytes: 4 << 20 });
  const root = kernel.createRootEnvironment({ quota });
  return { kernel, root, api: kernel.bind(root) };
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

describe('lifetimes', () => {
  it('protect changes permissions in place, within the rights of the capability that mapped the page', () => {
    const { kernel, api } = boot();
    const as = api.asCreate();
    const f = api.frameAlloc();
    api.map(as, 0x1000, f, { writable: true });
    api.protect(as, 0x1000, { writable: false });
    expect(kernel.snapshot().spaces[0]?.mappings[0]).toMatchObject({ va: 0x1000, writable: false });
    api.protect(as, 0x1000, { writable: true, executable: true });
    const ro = api.capDerive(f, { rights: Rights.READ | Rights.MAP });
    api.map(as, 0x2000, ro);
    expect(code(() => api.protect(as, 0x2000, { writable: true }))).toBe('E_RIGHTS');
    expect(code(() => api.protect(as, 0x3000, {}))).toBe('E_NOENT');
  });

  it('a page whose permissions protect changed is still removed when its capability is revoked', () => {
    const { kernel, root, api } = boot();
    const childCap = api.envCreate({ quota: 8 });
    const child = kernel.bind(kernel.environmentOf(root, childCap));
    const frame = api.frameAlloc();
    const shared = api.capGrant(frame, { rights: Rights.READ | Rights.WRITE | Rights.MAP }, childCap);
    const space = child.asCreate();
    child.map(space, 0x10000, shared, { writable: true });
    child.protect(space, 0x10000, { writable: false });
    child.protect(space, 0x10000, { writable: true });
    api.capRevoke(frame);
    expect(child.lookup(space, 0x10000)).toBeNull();
    expect(child.takeRevocations()).toEqual([
      { capId: shared, object: { type: 'frame', id: expect.any(Number) }, unmapped: 1 },
    ]);
  });

  it('a page mapped, protected and then moved with its capability is removed when that is revoked', () => {
    const { kernel, root, api } = boot();
    const childCap = api.envCreate({ quota: 8 });
    const child = kernel.bind(kernel.environmentOf(root, childCap));
    const frame = api.frameAlloc();
    const copy = api.capDerive(frame, { rights: Rights.READ | Rights.WRITE | Rights.MAP | Rights.TRANSFER });
    const space = api.asCreate();
    api.map(space, 0x10000, copy, { writable: true });
    api.protect(space, 0x10000, { writable: false });
    const moved = api.capTransfer(copy, childCap);
    expect(api.lookup(space, 0x10000)).not.toBeNull(); // the mapping stays, now under the child's name
    const record = kernel
      .snapshot()
      .spaces.flatMap((s) => s.mappings)
      .find((m) => m.va === 0x10000);
    expect(record).toMatchObject({ writable: false, capId: moved }); // as protect left it
    api.capRevoke(frame);
    expect(api.lookup(space, 0x10000)).toBeNull();
    expect(child.takeRevocations()).toEqual([
      { capId: moved, object: { type: 'frame', id: expect.any(Number) }, unmapped: 1 },
    ]);
  });

  it('asDestroy unmaps everything and returns every page table to the quota that paid for it', () => {
    const { kernel, api } = boot(16);
    const before = api.quotaFree;
    const framesBefore = kernel.frames.framesInUse;
    const as = api.asCreate();
    const f = api.frameAlloc();
    api.map(as, 0x7000_0000_0000, f);
    api.map(as, 0x1000, f);
    expect(before - api.quotaFree).toBe(1 + 1 + 2 * 3); // PML4, the frame, two PDPT/PD/PT chains
    api.asDestroy(as);
    expect(api.quotaFree).toBe(before - 1); // the frame is still allocated
    expect(kernel.frames.framesInUse).toBe(framesBefore + 1);
    expect(code(() => api.lookup(as, 0x1000))).toBe('E_BADCAP');
    api.frameFree(f);
    expect(api.quotaFree).toBe(before);
  });

  it('asDestroy is refused while a living environment runs in the space', () => {
    const { api } = boot();
    const child = api.envCreate({ quota: 1 });
    const as = api.asCreate();
    api.envSetAddressSpace(child, as);
    expect(code(() => api.asDestroy(as))).toBe('E_STATE');
    api.envKill(child);
    api.asDestroy(as);
  });

  it('an environment that ends gives its frames back to the machine and its unused quota to its creator', () => {
    const { kernel, root, api } = boot(32);
    const childCap = api.envCreate({ quota: 10 });
    const child = kernel.bind(kernel.environmentOf(root, childCap));
    const space = child.asCreate();
    const frame = child.frameAlloc();
    child.map(space, 0x1000, frame, { writable: true });
    expect(api.quotaFree).toBe(32 - 10);
    const framesBefore = kernel.frames.framesInUse;
    api.envKill(childCap);
    // The frame went back to the machine (unmapped first); the child's space and its page tables live on
    // (another environment could hold a capability to it), still charged: the PML4, PDPT, PD and PT.
    expect(kernel.frames.framesInUse).toBe(framesBefore - 1);
    expect(api.quotaFree).toBe(32 - 4);
    expect(kernel.snapshot().spaces.flatMap((s) => s.mappings)).toEqual([]);
  });
});

describe('asDestroy', () => {
  it('may be done through any copy with REVOKE, and through none without it', () => {
    const { kernel, root, api } = boot();
    const space = api.asCreate();
    const f = api.frameAlloc();
    api.map(space, 0x400000, f);
    const otherCap = api.envCreate({ quota: 4 });
    const other = kernel.bind(kernel.environmentOf(root, otherCap));
    const weak = api.capGrant(space, { rights: Rights.MAP | Rights.READ }, otherCap);
    const strong = api.capGrant(space, { rights: Rights.REVOKE }, otherCap);
    expect(code(() => other.asDestroy(weak))).toBe('E_RIGHTS');
    expect(api.lookup(space, 0x400000)).not.toBeNull();
    other.asDestroy(strong);
    // Every capability to the space went with it, the creator's included; the frame lives on.
    expect(code(() => api.lookup(space, 0x400000))).toBe('E_BADCAP');
    expect(code(() => other.lookup(weak, 0x400000))).toBe('E_BADCAP');
    expect([...api.frameRead(f, 0, 1)]).toEqual([0]);
  });
});
