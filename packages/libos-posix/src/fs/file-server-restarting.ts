/**
 * The file-system server is being restarted and will be back at `atNs` (machine time): the system call
 * waits until then and is made again from the start. Its request is sent again under the same id, so a
 * request the dead server carried out is answered from its journal, not carried out twice.
 */
export class FileServerRestarting extends Error {
  override name = 'FileServerRestarting';
  constructor(readonly atNs: number) {
    super(`the file-system server restarts at ${atNs} ns`);
  }
}
