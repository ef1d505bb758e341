/** Test support: what a kernel call did, as a string the tests compare. */
import { ExoError } from '../../src/index';

/** The ExoError code `f` threw, or 'ok' if it returned; any other exception propagates. */
export function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof ExoError) return e.code;
    throw e;
  }
  return 'ok';
}
