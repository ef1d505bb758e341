// The label lattice of the ExoV6 design: ROOT at the top, SANDBOX at the bottom, and two branches for
// local resources (SYSTEM: FILE, MEM) and network resources (NETWORK: TCP, UDP), meeting again in USER
// (what a local user process may touch) and GUEST (what remote peers may touch).
//
//                 ROOT
//               /      \
//          SYSTEM      NETWORK
//          /   \        /   \
//       FILE   MEM    TCP   UDP
//          \   /        \   /
//          USER         GUEST
//              \        /
//               SANDBOX

import { type FiniteLattice, hasseLattice } from './finite.js';

/** The Hasse diagram of the ExoV6 lattice: each node and the nodes directly below it. */
export const EXOV6_HASSE = Object.freeze({
  ROOT: ['SYSTEM', 'NETWORK'],
  SYSTEM: ['FILE', 'MEM'],
  NETWORK: ['TCP', 'UDP'],
  FILE: ['USER'],
  MEM: ['USER'],
  TCP: ['GUEST'],
  UDP: ['GUEST'],
  USER: ['SANDBOX'],
  GUEST: ['SANDBOX'],
  SANDBOX: [],
} as const);

/** A fresh instance of the ExoV6 lattice (each call builds its own tables). */
export function exov6Lattice(): FiniteLattice {
  return hasseLattice(EXOV6_HASSE, 'exov6');
}

/** The ready-made ExoV6 lattice. */
export const EXOV6_LATTICE: FiniteLattice = /* @__PURE__ */ exov6Lattice();
