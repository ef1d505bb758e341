/** A machine that cannot be built or run as asked: bad options, an image that is not built, a stuck init. */
export class MachineError extends Error {
  override name = 'MachineError';
}
