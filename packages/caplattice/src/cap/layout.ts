// Record layouts shared by the derivation tree, the CapSpaces and the revoke jobs (in a module of their
// own so that those three import it without importing each other).
//
// The fields a lookup or a revoke touches for one capability sit together in one record of an Int32Array
// (array of structs), so that visiting a node costs one cache line rather than one per field: a revoke
// of a million descendants in random memory order is bound by cache misses, not by instructions.

/** No node, no slot. */
export const NONE = -1;

/** Int32 words per node record. */
export const NODE_WORDS = 8;
/** Node record fields (word offsets). */
export const N_PARENT = 0;
export const N_FIRST_CHILD = 1;
export const N_NEXT = 2; // next sibling; also the free-list link of a free node
export const N_PREV = 3;
export const N_RIGHTS = 4;
export const N_FLAGS = 5;
export const N_SPACE = 6; // index of the CapSpace holding the node (when F_LIVE)
export const N_SLOT = 7; // slot in that space (when F_LIVE)

/** The node holds a slot in a CapSpace (else it is a ghost or free). */
export const F_LIVE = 1;
/** The node is the root of a revoke in progress. */
export const F_REVOKING = 2;
/** The node is known to be below a revoke in progress. */
export const F_DOOMED = 4;
/** The node is allocated (live or ghost). */
export const F_USED = 8;

/**
 * Int32 words per slot record: the slot's generation; its node (or, when free, -2 - the next free slot);
 * and a copy of the node's rights, so that a check reads this one record and not the node's. Rights never
 * change after a capability is made, so the copy cannot go stale.
 */
export const SLOT_WORDS = 4;
export const S_GEN = 0;
export const S_NODE = 1;
export const S_RIGHTS = 2;
