/**
 * Memory system calls: brk, mmap (anonymous and private file mappings, MAP_FIXED,
 * MAP_FIXED_NOREPLACE), munmap, mprotect, madvise, mremap (refused: C libraries fall back to copying).
 */
import { MAP, PROT } from '@exov6/hal-x86';
import { fail } from '../errno';
import { RegularFile } from '../fs/inode-file';
import { PAGE_SIZE } from '../memory/frame-pool';
import { FileMappingSource } from '../memory/page-source';
import { MMAP_BOTTOM, MMAP_TOP } from '../process/program-image';
import type { Call, SyscallHandler } from './call';

const USER_LIMIT = 2 ** 47;
const pageUp = (n: number) => Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;

function mmap(c: Call): number {
  const hint = c.arg(0);
  const length = c.arg(1);
  const prot = c.int(2);
  const flags = c.int(3);
  const fd = c.int(4);
  const offset = c.arg(5);
  if (length <= 0) fail('EINVAL', 'length 0');
  if ((prot & ~(PROT.READ | PROT.WRITE | PROT.EXEC)) !== 0) fail('EINVAL', `prot ${prot}`);
  const type = flags & MAP.TYPE;
  if (type !== MAP.PRIVATE && type !== MAP.SHARED && type !== MAP.SHARED_VALIDATE)
    fail('EINVAL', 'MAP_PRIVATE or MAP_SHARED');
  if (offset % PAGE_SIZE !== 0 || offset < 0) fail('EINVAL', 'offset not page-aligned');
  const size = pageUp(length);
  const memory = c.memory;
  const anonymous = (flags & MAP.ANONYMOUS) !== 0;
  let file: RegularFile | null = null;
  if (!anonymous) {
    const f = c.process.fds.get(fd);
    if (!(f instanceof RegularFile)) fail('ENODEV', 'only regular files can be mapped');
    if (!f.readable) fail('EACCES', 'file not open for reading');
    // A shared writable mapping would have to write back to the file: not supported.
    if (type !== MAP.PRIVATE && (prot & PROT.WRITE) !== 0)
      fail('EINVAL', 'shared writable file mappings are not supported');
    file = f;
  }
  let start: number;
  if ((flags & (MAP.FIXED | MAP.FIXED_NOREPLACE)) !== 0) {
    if (hint % PAGE_SIZE !== 0) fail('EINVAL', 'MAP_FIXED address not page-aligned');
    if (hint + size > USER_LIMIT || hint < PAGE_SIZE) fail('ENOMEM', 'outside the user address range');
    if ((flags & MAP.FIXED_NOREPLACE) !== 0 && memory.map.overlaps(hint, hint + size)) fail('EEXIST');
    start = hint;
    memory.removeRange(start, start + size);
  } else {
    const wanted =
      hint !== 0 &&
      hint % PAGE_SIZE === 0 &&
      hint + size <= MMAP_TOP &&
      !memory.map.overlaps(hint, hint + size);
    const found = wanted
      ? hint
      : memory.map.freeRangeBelow(MMAP_TOP, size, Math.max(MMAP_BOTTOM, pageUp(memory.brk)));
    if (found === null) fail('ENOMEM', 'no free range that large');
    start = found;
  }
  // (Anonymous MAP_SHARED is shared with children after fork on Linux; here it is private to each.)
  if (file === null) memory.addArea(start, start + size, prot, 'anon');
  else {
    // Pages come from the file when first touched.
    const source = new FileMappingSource(memory.pool, file.inode, start, offset);
    memory.addArea(start, start + size, prot, 'file', source);
  }
  return start;
}

function checkRange(start: number, length: number): number {
  if (start % PAGE_SIZE !== 0) fail('EINVAL', 'address not page-aligned');
  if (length < 0 || start + length > USER_LIMIT) fail('EINVAL', 'length');
  return start + pageUp(length);
}

export const MEMORY_CALLS: Record<string, SyscallHandler> = {
  brk: (c) => c.memory.setBreak(c.arg(0)),
  mmap,
  munmap: (c) => {
    const end = checkRange(c.arg(0), c.arg(1));
    if (c.arg(1) === 0) fail('EINVAL', 'length 0');
    c.memory.removeRange(c.arg(0), end);
    return 0;
  },
  mprotect: (c) => {
    const end = checkRange(c.arg(0), c.arg(1));
    if ((c.int(2) & ~(PROT.READ | PROT.WRITE | PROT.EXEC)) !== 0) fail('EINVAL', `prot ${c.int(2)}`);
    if (end > c.arg(0)) c.memory.protect(c.arg(0), end, c.int(2));
    return 0;
  },
  madvise: (c) => {
    const MADV_DONTNEED = 4;
    const end = checkRange(c.arg(0), c.arg(1));
    if (c.int(2) === MADV_DONTNEED) c.memory.discard(c.arg(0), end);
    return 0;
  },
  mremap: () => fail('ENOMEM', 'mremap is not supported; the caller falls back to a new mapping'),
  msync: () => 0,
  mlock: () => 0,
  munlock: () => 0,
};
