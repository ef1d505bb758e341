/**
 * The root file system on a disk: the file-system server in an environment of its own, holding the only
 * capability to the disk (moved to it from the first environment), and the library OS connected to it
 * through an endpoint. The library OS keeps a badged sending end; the server a receiving end, a timer
 * capability it may only read (for file times), and the disk.
 */
import { Rights } from '@exov6/caplattice';
import type { EnvApi, Environment, Exokernel } from '@exov6/exokernel';
import {
  connectFileServer,
  Ext2Error,
  type RemoteFileSystem,
  ROOT_DEV,
  type RunningFileServer,
  startFileServer,
} from '@exov6/libos-posix';
import { MachineError } from './machine-error';

/** Frames the server's environment may allocate: its bounce frame and what the kernel charges it. */
const SERVER_QUOTA = 64;

export interface RootDisk {
  readonly server: RunningFileServer;
  readonly remote: RemoteFileSystem;
  /** The server's environment capability (held by the library OS, which created it). */
  readonly serverEnv: number;
}

/** Starts the server on the disk and connects the library OS (`os`, bound to `firstEnvironment`) to it. */
export function mountRootDisk(
  kernel: Exokernel,
  firstEnvironment: Environment,
  os: EnvApi,
  boot: { disk: number; timer: number },
): RootDisk {
  const serverEnv = os.envCreate({ quota: SERVER_QUOTA });
  const serverApi = kernel.bind(kernel.environmentOf(firstEnvironment, serverEnv));
  const endpoint = os.endpointCreate();
  const caps = {
    endpoint: os.capGrant(endpoint, { rights: Rights.IPC_RECV }, serverEnv),
    disk: os.capTransfer(boot.disk, serverEnv),
    clock: os.capGrant(boot.timer, { rights: Rights.READ }, serverEnv),
  };
  let server: RunningFileServer;
  try {
    server = startFileServer(serverApi, caps);
  } catch (e) {
    if (e instanceof Ext2Error)
      throw new MachineError(`the disk cannot be the root file system: ${e.message}`);
    throw e;
  }
  const send = os.capDerive(endpoint, { rights: Rights.IPC_SEND, badge: 1 });
  const remote = connectFileServer(os, send, { dev: ROOT_DEV });
  return { server, remote, serverEnv };
}
