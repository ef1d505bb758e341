import { CapnpError, type CapnpErrorCode } from '../../src/index';

/** The code of the CapnpError `read` throws; anything else it throws fails the test as it is. */
export function codeOf(read: () => unknown): CapnpErrorCode | 'no error' {
  try {
    read();
  } catch (e) {
    if (e instanceof CapnpError) return e.code;
    throw e;
  }
  return 'no error';
}
