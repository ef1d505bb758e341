/**
 * Random operation sequences for property tests: a small pool of task ids, operations chosen from the
 * whole API, and a model of which operations are valid in the current state, so the sequences exercise
 * joins, leaves, blocking, weight changes and charges in the middle of a run.
 */
import fc from 'fast-check';
import { MAX_AMOUNT, MAX_WEIGHT } from '../../src/index.js';

export type Op =
  | { kind: 'add'; id: string; weight: number }
  | { kind: 'remove'; id: string }
  | { kind: 'block'; id: string }
  | { kind: 'unblock'; id: string }
  | { kind: 'setWeight'; id: string; weight: number }
  | { kind: 'run'; amount: number }
  | { kind: 'charge'; id: string; amount: number };

export const IDS = ['a', 'b', 'c', 'd', 'e', 'f'];

const weight = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 8 }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 2000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: MAX_WEIGHT }) },
);
const amount = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 3 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 100 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: MAX_AMOUNT }) },
);
const id = fc.constantFrom(...IDS);

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('add' as const), id, weight }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), id }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('block' as const), id }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('unblock' as const), id }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('setWeight' as const), id, weight }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('run' as const), amount }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('charge' as const), id, amount }) },
);

/** Which tasks exist and whether they are runnable; tells whether an operation is valid now. */
export class Model {
  readonly state = new Map<string, { runnable: boolean; weight: number }>();

  valid(op: Op): boolean {
    switch (op.kind) {
      case 'add':
        return !this.state.has(op.id);
      case 'remove':
      case 'setWeight':
        return this.state.has(op.id);
      case 'block':
      case 'charge':
        return this.state.get(op.id)?.runnable === true;
      case 'unblock':
        return this.state.get(op.id)?.runnable === false;
      case 'run':
        return true;
    }
  }

  apply(op: Op): void {
    switch (op.kind) {
      case 'add':
        this.state.set(op.id, { runnable: true, weight: op.weight });
        break;
      case 'remove':
        this.state.delete(op.id);
        break;
      case 'block':
        (this.state.get(op.id) as { runnable: boolean }).runnable = false;
        break;
      case 'unblock':
        (this.state.get(op.id) as { runnable: boolean }).runnable = true;
        break;
      case 'setWeight':
        (this.state.get(op.id) as { weight: number }).weight = op.weight;
        break;
      default:
        break;
    }
  }

  runnable(): string[] {
    return [...this.state].filter(([, s]) => s.runnable).map(([k]) => k);
  }
}
