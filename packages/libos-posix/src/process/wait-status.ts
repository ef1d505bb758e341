/**
 * The status word wait4 reports (Linux's encoding, which the W* macros of C libraries decode):
 * exited: status << 8; killed by a signal: the signal number, | 0x80 with a core dump; stopped:
 * signal << 8 | 0x7f; continued: 0xffff.
 */
export const exitedStatus = (code: number): number => (code & 0xff) << 8;
export const signaledStatus = (signal: number, core = false): number => (signal & 0x7f) | (core ? 0x80 : 0);
export const stoppedStatus = (signal: number): number => ((signal & 0xff) << 8) | 0x7f;
export const CONTINUED_STATUS = 0xffff;

/** How a shell would describe it: "exit 3", "signal 9". */
export function describeStatus(status: number): string {
  if ((status & 0x7f) === 0) return `exit ${(status >> 8) & 0xff}`;
  if ((status & 0xff) === 0x7f) return `stopped by signal ${(status >> 8) & 0xff}`;
  if (status === CONTINUED_STATUS) return 'continued';
  return `signal ${status & 0x7f}${status & 0x80 ? ' (core dumped)' : ''}`;
}
