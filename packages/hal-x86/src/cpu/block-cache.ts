/**
 * Pre-decoded basic blocks, cached by the physical address of their first byte.
 *
 * A block is a run of decoded instructions from one 4 KiB page that ends at an unconditional control
 * transfer or at the end of the page, or after MAX_BLOCK instructions. A conditional branch inside it is a
 * side exit, and a direct JMP or CALL to the same page is followed: the block goes on at the target.
 * A block is decoded as far as its first side exit, and further each time execution falls through the
 * last side exit decoded so far (`extend`): code past a branch that is always taken is never decoded.
 * Blocks are registered against the physical frame they came from; any write to that frame (through the
 * CPU or host helpers) drops them, so self-modifying and freshly loaded code
 * is always re-decoded. If the block being executed is dropped, the CPU stops after the writing
 * instruction and decodes again from the next one, as the architecture requires.
 *
 * The block also records its linear address: RIP-relative operands and branch targets are resolved at
 * decode time, so a frame mapped at two addresses gets a block per address.
 */
import { Access } from '../mmu/mmu';
import { GuestFault, PfError, Vector, linearToBigInt } from './fault';
import type { Cpu } from './cpu';
import { Decoder, NeedMoreBytes } from '../isa/decoder';
import type { Insn } from '../isa/insn';
import { OPCODE_TABLE } from '../isa/tables';
import type { CompiledBlock } from './block-compiler';
import { callRel, jcc, jmpRel } from '../isa/exec/branch';
import { syscall } from '../isa/exec/system';

export const MAX_BLOCK = 64;

export interface Block {
  /** Linear address of the first instruction. */
  va: number;
  /**
   * The same address as two int32 halves, stored in the block record itself (a number above 2^31 is a
   * separate heap object): the chain check compares these, so following a link touches one object.
   */
  vaLo: number;
  vaHi: number;
  /** Physical address of the first instruction. */
  pa: number;
  insns: Insn[];
  /** False once dropped; a dropped block still finishes its current instruction. */
  valid: boolean;
  /**
   * The last block that followed this one, and the MMU epoch when that link was made: while no translation
   * has changed since, the link can be followed without a TLB lookup (block chaining).
   */
  next: Block | null;
  nextEpoch: number;
  /**
   * The follower before `next` (valid under the same epoch): a block ending in a conditional branch has
   * two successors, and alternating between them would otherwise miss the link every time.
   */
  other: Block | null;
  /** Interpreted executions so far; the block is compiled when this reaches COMPILE_THRESHOLD. */
  runs: number;
  /**
   * The most instructions one interpreted execution ran before leaving (the rest of the block is cold so
   * far): only that prefix is compiled, which keeps compiled code, and the optimising compiler's work
   * on it, to the part that runs.
   */
  reach: number;
  compiled: CompiledBlock | null;
  /**
   * For a block holding one instruction that crosses into the next page: the physical address of that
   * page (its frame is watched for writes too), checked against the current translation before the block
   * is reused from the physical-address caches. -1 otherwise.
   */
  crossPa: number;
  /** Whether an instruction of the block reads or writes the x87, SSE or MXCSR state (see `Cpu.fpuUse`). */
  usesFpu: boolean;
  /**
   * Where decoding stopped, after a side exit, when the block may go on past it: the linear and physical
   * addresses of the next instruction. -1 once the block is complete.
   */
  resumeVa: number;
  resumePa: number;
}

let sharedDecoder: Decoder | null = null;
export function defaultDecoder(): Decoder {
  sharedDecoder ??= new Decoder(OPCODE_TABLE);
  return sharedDecoder;
}

const JUMP_CACHE_SIZE = 4096;
const VA_CACHE_SIZE = 16384;
/** How far apart the slots of one address in different PCID contexts are (odd: spread over the cache). */
const PCID_STRIDE = 4099;

export class BlockCache {
  private readonly byPa = new Map<number, Block[]>();
  private readonly byFrame = new Map<number, number[]>();
  /** Direct-mapped cache in front of the maps, indexed by physical address. */
  private readonly jumpCache: (Block | null)[] = new Array(JUMP_CACHE_SIZE).fill(null);
  /**
   * Direct-mapped cache by linear address, valid for one MMU epoch: while no translation has changed and no
   * block has been dropped, the block found for an address is still the right one, so the fetch
   * translation can be skipped (like following a chain link, for targets that vary, such as returns).
   */
  private readonly vaCache: (Block | null)[] = new Array(VA_CACHE_SIZE).fill(null);
  private readonly vaCacheEpoch = new Float64Array(VA_CACHE_SIZE).fill(-1);
  readonly decoder = defaultDecoder();
  /** The block being executed, so a write to its frame can stop it. */
  current: Block | null = null;
  decodedBlocks = 0;
  /** Instructions decoded into blocks, extensions included. */
  decodedInstructions = 0;
  invalidations = 0;
  private readonly window = new Uint8Array(32);

  constructor(private readonly cpu: Cpu) {
    cpu.memory.onCodeWrite = (frame) => this.dropFrame(frame);
  }

  /** The block at `va`, following the chain link from `prev` when it is still valid. */
  follow(prev: Block | null, va: number): Block {
    if (prev !== null) {
      // Dropping blocks also advances the epoch, so an unchanged epoch means both links are still valid.
      const epoch = this.cpu.mmu.epoch;
      if (prev.nextEpoch === epoch) {
        const lo = va | 0;
        const hi = Math.floor(va / 4294967296) | 0;
        const n = prev.next as Block;
        if (n.vaLo === lo && n.vaHi === hi) return n;
        const o = prev.other;
        if (o !== null && o.vaLo === lo && o.vaHi === hi) return o;
        const b = this.lookup(va);
        prev.other = n;
        prev.next = b;
        return b;
      }
      const b = this.lookup(va);
      prev.next = b;
      prev.other = null;
      prev.nextEpoch = epoch;
      return b;
    }
    return this.lookup(va);
  }

  lookup(va: number): Block {
    // Programs of different address spaces run code at the same addresses (every static binary starts at
    // 0x400000): the context's PCID moves them to different slots, so switching between them does not
    // evict each other's entries.
    const vslot = (va + this.cpu.mmu.pcid * PCID_STRIDE) & (VA_CACHE_SIZE - 1);
    const epoch = this.cpu.mmu.epoch;
    if (this.vaCacheEpoch[vslot] === epoch) {
      const b = this.vaCache[vslot] as Block;
      if (b.va === va) return b;
    }
    const block = this.lookupByPhysicalAddress(va);
    this.vaCache[vslot] = block;
    this.vaCacheEpoch[vslot] = epoch;
    return block;
  }

  private lookupByPhysicalAddress(va: number): Block {
    const pa = this.cpu.mmu.translate(va, Access.FETCH);
    const slot = pa & (JUMP_CACHE_SIZE - 1);
    const hit = this.jumpCache[slot];
    if (hit != null && hit.pa === pa && hit.va === va && this.sameSecondPage(hit)) return hit;
    const list = this.byPa.get(pa);
    if (list !== undefined) {
      for (const b of list) {
        if (b.va === va && this.sameSecondPage(b)) {
          this.jumpCache[slot] = b;
          return b;
        }
      }
    }
    const block = this.build(va, pa);
    this.jumpCache[slot] = block;
    return block;
  }

  /** A page-crossing block is reusable only while its second page still maps to the same frame. */
  private sameSecondPage(b: Block): boolean {
    if (b.crossPa < 0) return true;
    const nextPage = b.va - (b.va % 4096) + 4096;
    try {
      return this.cpu.mmu.translate(nextPage, Access.FETCH) === b.crossPa;
    } catch {
      return false; // the run decodes again and reports the fault at the instruction
    }
  }

  /** Drops every block decoded from `frame`. */
  dropFrame(frame: number): void {
    const pas = this.byFrame.get(frame);
    if (pas === undefined) return;
    this.invalidations++;
    this.cpu.mmu.breakLinks(); // every chain link, in every context, may lead into the dropped blocks
    for (const pa of pas) {
      for (const b of this.byPa.get(pa) ?? []) {
        b.valid = false;
        if (b === this.current) this.cpu.stop = true;
        const slot = pa & (JUMP_CACHE_SIZE - 1);
        if (this.jumpCache[slot] === b) this.jumpCache[slot] = null;
      }
      this.byPa.delete(pa);
    }
    this.byFrame.delete(frame);
  }

  /** Drops everything (for example after the host rewrites page tables wholesale). */
  clear(): void {
    for (const frame of [...this.byFrame.keys()]) {
      this.dropFrame(frame);
      this.cpu.memory.codeFrames[frame] = 0;
    }
  }

  private build(va: number, pa: number): Block {
    const block: Block = {
      va,
      vaLo: va | 0,
      vaHi: Math.floor(va / 4294967296) | 0,
      pa,
      insns: [],
      valid: true,
      next: null,
      nextEpoch: -1,
      other: null,
      runs: 0,
      reach: 0,
      compiled: null,
      crossPa: -1,
      usesFpu: false,
      resumeVa: -1,
      resumePa: -1,
    };
    this.decodeFrom(block, va, pa);
    this.decodedBlocks++;
    const list = this.byPa.get(pa);
    if (list) list.push(block);
    else this.byPa.set(pa, [block]);
    this.watchFrame(Math.floor(pa / 4096), pa);
    if (block.crossPa >= 0) this.watchFrame(Math.floor(block.crossPa / 4096), pa);
    return block;
  }

  /**
   * Execution fell through the last instruction decoded so far: decodes the block's next stretch (the
   * page's bytes are unchanged, or the block would have been dropped). False when the block is complete.
   */
  extend(block: Block): boolean {
    if (block.resumeVa < 0 || !block.valid) return false;
    const before = block.insns.length;
    this.decodeFrom(block, block.resumeVa, block.resumePa);
    return block.insns.length > before;
  }

  /** Appends instructions from (curVa, curPa) up to the next side exit or the end of the block. */
  private decodeFrom(block: Block, startVa: number, startPa: number): void {
    const bytes = this.cpu.memory.bytes;
    const insns = block.insns;
    const va = block.va;
    let curVa = startVa;
    let curPa = startPa;
    const pageEnd = block.pa - (block.pa % 4096) + 4096;
    block.resumeVa = -1;
    block.resumePa = -1;
    while (insns.length < MAX_BLOCK) {
      const inPage = pageEnd - curPa;
      let insn: Insn;
      try {
        insn = this.decoder.decode(bytes, curPa, Math.min(inPage, 15), curVa);
      } catch (e) {
        if (!(e instanceof NeedMoreBytes)) throw e;
        // The instruction crosses into the next page.
        if (insns.length > 0) break; // end the block here; the crossing instruction starts its own
        const crossing = this.decodeCrossing(curVa, curPa, inPage);
        this.append(block, crossing.insn);
        block.crossPa = crossing.nextPa;
        break;
      }
      this.append(block, insn);
      curVa = insn.next;
      curPa += insn.len;
      if (insn.def.flow) {
        const follows = insn.def.exec === jmpRel || insn.def.exec === callRel;
        if (follows && this.inPageNotVisited(insn.imm, va, insns)) {
          // A direct JMP or CALL to code in the same page: the block goes on at the target, so a call to a
          // small function or a jump inside one does not cost a dispatch.
          curVa = insn.imm;
          curPa = block.pa - (va - insn.imm);
          continue;
        }
        // A conditional branch does not end the block: the fall-through path goes on in it, and the
        // taken branch leaves it (fewer, longer blocks; most branches in loops and libc fall through).
        // A branch back to the block's start does end it: the block is a loop, which compiled code runs
        // without leaving the function. A SYSCALL is a side exit too: one that the host serves without
        // an exit (cpu.syscallHook) goes on in the block.
        const sideExit = (insn.def.exec === jcc && insn.imm !== va) || insn.def.exec === syscall;
        if (!sideExit) break;
        insn.sideExit = true;
        // The rest is decoded once execution first falls through here.
        if (curPa < pageEnd && insns.length < MAX_BLOCK) {
          block.resumeVa = curVa;
          block.resumePa = curPa;
        }
        break;
      }
      if (curPa >= pageEnd) break;
    }
  }

  private append(block: Block, insn: Insn): void {
    block.insns.push(insn);
    if (insn.def.fpu) block.usesFpu = true;
    this.decodedInstructions++;
  }

  /** Whether `target` lies in the page of `va` (so in the same frame) and starts no instruction of `insns`. */
  private inPageNotVisited(target: number, va: number, insns: readonly Insn[]): boolean {
    const page = va - (va % 4096);
    if (target < page || target >= page + 4096) return false;
    for (const i of insns) if (i.addr === target) return false;
    return true;
  }

  /** Drops the blocks at `pa` when `frame` is written. */
  private watchFrame(frame: number, pa: number): void {
    const pas = this.byFrame.get(frame);
    if (pas) {
      if (!pas.includes(pa)) pas.push(pa);
    } else this.byFrame.set(frame, [pa]);
    this.cpu.memory.codeFrames[frame] = 1;
  }

  /**
   * Decodes an instruction whose bytes continue on the next page (fetching that page may fault); returns
   * it with the physical address of the second page.
   */
  private decodeCrossing(va: number, pa: number, inPage: number): { insn: Insn; nextPa: number } {
    const w = this.window;
    w.set(this.cpu.memory.bytes.subarray(pa, pa + inPage), 0);
    const nextVa = va + inPage;
    let nextPa: number;
    try {
      nextPa = this.cpu.mmu.translate(nextVa, Access.FETCH);
    } catch (e) {
      // Fetching the rest faults only if the instruction really needs those bytes: decode what we have first.
      if (e instanceof GuestFault) {
        try {
          return { insn: this.decoder.decode(w, 0, inPage, va), nextPa: -1 };
        } catch (inner) {
          if (inner instanceof NeedMoreBytes) throw e;
          throw inner;
        }
      }
      throw e;
    }
    w.set(this.cpu.memory.bytes.subarray(nextPa, nextPa + 15 - inPage), inPage);
    try {
      return { insn: this.decoder.decode(w, 0, 15, va), nextPa };
    } catch (e) {
      if (e instanceof NeedMoreBytes) {
        throw new GuestFault(Vector.PF, PfError.FETCH | PfError.USER, linearToBigInt(nextVa), 'fetch');
      }
      throw e;
    }
  }
}
