// A capability id names a slot of one CapSpace and the generation of that slot: id = generation * 2^24 +
// slot. Every time a slot is freed its generation moves on, so an old id (a "dangling pointer" to a
// deleted, moved or revoked capability) never names whatever the slot holds next. Ids are plain safe
// integers (at most 2^53 - 1), so they fit in a register pair, a typed array or a JSON message.
//
// A slot whose generation reaches the limit is retired for good rather than wrapped around: wrapping
// would let a very old id resolve again.

/** A capability id, local to the CapSpace that issued it. 0 is never a valid id. */
export type CapId = number;

/** Bits of the slot number. */
export const SLOT_BITS = 24;
/** Slots per CapSpace at most. */
export const MAX_SLOTS = 2 ** SLOT_BITS;
/** Mask of the slot bits; `id & SLOT_MASK` is exact for every safe integer id. */
export const SLOT_MASK = MAX_SLOTS - 1;
/** Highest generation: 2^29 - 1, so that ids stay below 2^53. */
export const MAX_GENERATION = 2 ** (53 - SLOT_BITS) - 1;

/** The id of `slot` at `generation` (1 <= generation <= MAX_GENERATION). */
export function makeCapId(slot: number, generation: number): CapId {
  return generation * MAX_SLOTS + slot;
}

/** The slot an id names. */
export function slotOf(id: CapId): number {
  return id & SLOT_MASK;
}

/** The generation an id carries. */
export function generationOf(id: CapId): number {
  return Math.floor(id / MAX_SLOTS);
}

/** `slot 5 gen 3` style text for error messages. */
export function describeId(id: unknown): string {
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) return `id ${String(id)}`;
  return `id ${id} (slot ${slotOf(id)}, generation ${generationOf(id)})`;
}
