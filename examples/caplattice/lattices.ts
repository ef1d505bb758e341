// Labels and flow checks: the ExoV6 lattice, a Bell-LaPadula lattice, and an IPC send checked the way a
// kernel would check it on every message.
import assert from 'node:assert/strict';
import {
  bellLaPadulaPolicy,
  bibaPolicy,
  FlowError,
  hasseLattice,
  EXOV6_LATTICE as L,
  LatticeError,
  securityLattice,
} from '@exov6/caplattice';

// The design lattice: labels are node numbers, names go through node() and format().
const file = L.node('FILE');
const tcp = L.node('TCP');
console.log('FILE v TCP =', L.format(L.join(file, tcp))); // ROOT
console.log('FILE ^ TCP =', L.format(L.meet(file, tcp))); // SANDBOX

// Bell-LaPadula labels: (level, categories).
const blp = securityLattice(['UNCLASSIFIED', 'SECRET', 'TOP_SECRET'], ['CRYPTO', 'NUCLEAR']);
const analyst = blp.parse('(SECRET, {CRYPTO})');
const report = blp.parse('(TOP_SECRET, {CRYPTO,NUCLEAR})');
console.log('analyst <= report:', blp.leq(analyst, report)); // true
console.log('join:', blp.format(blp.join(analyst, blp.parse('(UNCLASSIFIED, {NUCLEAR})'))));

// A flow policy, called on every IPC send.
const confidentiality = bellLaPadulaPolicy(L);
console.log('USER -> SYSTEM allowed:', confidentiality.canSend(L.node('USER'), L.node('SYSTEM')));
try {
  confidentiality.checkSend(L.node('SYSTEM'), L.node('GUEST'));
} catch (e) {
  assert(e instanceof FlowError);
  console.log('refused:', e.message);
}
// Biba is the integrity dual: high-integrity senders may talk down.
console.log('Biba ROOT -> SANDBOX allowed:', bibaPolicy(L).canSend(L.node('ROOT'), L.node('SANDBOX')));

// A diagram that is not a lattice is refused, naming the pair that breaks it.
try {
  hasseLattice({ top: ['c', 'd'], c: ['a', 'b'], d: ['a', 'b'], a: ['bottom'], b: ['bottom'], bottom: [] });
} catch (e) {
  assert(e instanceof LatticeError);
  console.log('not a lattice:', e.message);
}
