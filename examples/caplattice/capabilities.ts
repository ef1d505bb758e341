// CapSpaces and the derivation tree: derive with fewer rights and a lower label, badges, refusals with
// reasons, and a revoke that reaches every space, done in bounded steps.
import assert from 'node:assert/strict';
import { CapabilityError, DerivationTree, EXOV6_LATTICE as L, Rights as R } from '@exov6/caplattice';

const tree = new DerivationTree({ lattice: L });
const kernel = tree.createSpace('kernel');
const shell = tree.createSpace({ name: 'shell', onRevoked: (id) => revokedInShell.push(id) });
const editor = tree.createSpace('editor');
const revokedInShell: number[] = [];

// The kernel holds the original capability to a page frame.
const frame = kernel.create(
  { type: 'frame', id: 0x1000 },
  R.READ | R.WRITE | R.MAP | R.GRANT | R.REVOKE,
  L.node('SYSTEM'),
);

// It grants the shell read/write/map at label FILE, badged 7 so the kernel can tell who calls.
const forShell = kernel.derive(
  frame,
  { rights: R.READ | R.WRITE | R.MAP | R.GRANT, label: L.node('FILE'), badge: 7 },
  shell,
);
// The shell passes a read-only mapping on to the editor, at label USER.
const forEditor = shell.derive(forShell, { rights: R.READ | R.MAP, label: L.node('USER') }, editor);
console.log('editor may map:', editor.check(forEditor, R.READ | R.MAP)); // true
console.log('editor may write:', editor.check(forEditor, R.WRITE)); // false
console.log('badge seen by the kernel:', editor.inspect(forEditor).badge); // 7, inherited

// Asking for more than the parent holds is an error that says what is missing.
try {
  shell.derive(forShell, { rights: R.READ | R.EXECUTE });
} catch (e) {
  assert(e instanceof CapabilityError);
  console.log(`${e.code}: ${e.message}`);
}
try {
  shell.derive(forShell, { rights: R.READ, label: L.node('NETWORK') });
} catch (e) {
  assert(e instanceof CapabilityError);
  console.log(`${e.code}: ${e.message}`);
}

// Many more descendants, then a revoke done in steps of at most 1000 units of work. From the first
// moment nothing below the frame resolves; the slots are reclaimed as the job runs.
for (let i = 0; i < 10_000; i++) shell.derive(forShell, { rights: R.READ }, i % 2 ? shell : editor);
const job = kernel.startRevoke(frame);
console.log('editor still holds it:', editor.check(forEditor, 0)); // false, immediately
let steps = 0;
while (!job.step(1000)) steps++;
console.log(`revoked ${job.removed} capabilities in ${steps + 1} steps`);
console.log('the shell was told about', revokedInShell.length, 'of its ids');
console.log('kernel keeps its own:', kernel.check(frame, R.READ | R.WRITE)); // true
console.log(tree.stats()); // { nodes: 1, capabilities: 1, pendingRevokes: 0 }
