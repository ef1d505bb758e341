/**
 * The root file system on a disk, served by the file-system server under a supervisor:
 *
 *   first environment (library OS) ──creates──> supervisor ──creates, restarts──> file-system server
 *
 * The first environment moves the disk capability to the supervisor and grants it the server endpoint's
 * receiving end and the timer; the supervisor keeps them, and the frames of the server's journal, and
 * grants them to each incarnation of the server. When the server dies, the kernel tells the supervisor
 * (its manager), which starts another at once (with backoff if it keeps dying). The new server replays
 * the journal onto the disk before it mounts it, and the library OS, whose request was lost, asks the
 * supervisor, attaches to the new server and sends the request again. Only the server's environment
 * ever holds a capability that can reach the disk's sectors besides the supervisor, which never does.
 */
import { Rights } from '@exov6/caplattice';
import type { EnvApi, Environment, Exokernel } from '@exov6/exokernel';
import {
  connectFileServer,
  Ext2Error,
  type RemoteFileSystem,
  type RestartPolicy,
  ROOT_DEV,
  type RunningFileServer,
  startFileServer,
  Supervisor,
} from '@exov6/libos-posix';
import { MachineError } from './machine-error';

/** Frames the server's environment may allocate: its bounce frame and what the kernel charges it. */
const SERVER_QUOTA = 64;
/** The journal: 2 MiB (a checkpoint writes it back when half full). */
const JOURNAL_FRAMES = 512;
/** The supervisor's frames: the journal, and the quota of a server incarnation and of its successor. */
const SUPERVISOR_QUOTA = JOURNAL_FRAMES + 2 * SERVER_QUOTA + 8;
export const FILE_SERVICE = 'fs';

export interface RootDiskOptions {
  /** How the supervisor restarts a crashed server (restart-policy defaults otherwise). */
  restartPolicy?: Partial<RestartPolicy>;
}

export class RootDisk {
  constructor(
    readonly supervisor: Supervisor,
    readonly remote: RemoteFileSystem,
    /** The supervisor's environment capability (held by the library OS, which created it). */
    readonly supervisorEnv: number,
  ) {}

  /** The server running now (a restart replaces it). */
  get server(): RunningFileServer {
    const server = this.supervisor.instance<RunningFileServer>(FILE_SERVICE);
    if (server === null) {
      throw new MachineError(`the file-system server is ${this.supervisor.report(FILE_SERVICE).status}`);
    }
    return server;
  }

  /** The environment number of the server running now (null while it is down). */
  get serverEnvId(): number | null {
    return this.supervisor.environmentId(FILE_SERVICE);
  }

  /** Power-off: the server writes back everything and marks the file system clean; then it ends. */
  stop(): void {
    this.supervisor.stopAll();
  }
}

/** Starts the supervisor and, under it, the server on the disk; connects the library OS to the server. */
export function mountRootDisk(
  kernel: Exokernel,
  firstEnvironment: Environment,
  os: EnvApi,
  boot: { disk: number; timer: number },
  options: RootDiskOptions = {},
): RootDisk {
  const supervisorEnv = os.envCreate({ quota: SUPERVISOR_QUOTA });
  const supervisorEnvironment = kernel.environmentOf(firstEnvironment, supervisorEnv);
  const supervisorApi = kernel.bind(supervisorEnvironment);
  const fsEndpoint = os.endpointCreate();
  const askEndpoint = os.endpointCreate();
  // What the supervisor holds for the server, with the right to grant it on.
  const held = {
    endpoint: os.capGrant(fsEndpoint, { rights: Rights.IPC_RECV | Rights.GRANT }, supervisorEnv),
    disk: os.capTransfer(boot.disk, supervisorEnv),
    clock: os.capGrant(boot.timer, { rights: Rights.READ | Rights.GRANT }, supervisorEnv),
  };
  const journal = Array.from({ length: JOURNAL_FRAMES }, () => supervisorApi.frameAlloc());
  const supervisor = new Supervisor(
    supervisorApi,
    [
      {
        name: FILE_SERVICE,
        quota: SERVER_QUOTA,
        start: (ctx) =>
          startFileServer(ctx.api, {
            endpoint: ctx.grant(held.endpoint, Rights.IPC_RECV),
            disk: ctx.grant(held.disk, Rights.READ | Rights.WRITE),
            clock: ctx.grant(held.clock, Rights.READ),
            journal: journal.map((frame) => ctx.grant(frame, Rights.READ | Rights.WRITE)),
          }),
        stop: (server) => (server as RunningFileServer).unmount(),
      },
    ],
    {
      bind: (envCap) => kernel.bind(kernel.environmentOf(supervisorEnvironment, envCap)),
      timer: os.capGrant(boot.timer, { rights: Rights.TIMER | Rights.READ }, supervisorEnv),
      endpoint: os.capGrant(askEndpoint, { rights: Rights.IPC_RECV }, supervisorEnv),
      policy: options.restartPolicy,
    },
  );
  try {
    supervisor.startAll();
  } catch (e) {
    os.envKill(supervisorEnv);
    if (e instanceof Ext2Error)
      throw new MachineError(`the disk cannot be the root file system: ${e.message}`);
    throw e;
  }
  const remote = connectFileServer(os, os.capDerive(fsEndpoint, { rights: Rights.IPC_SEND, badge: 1 }), {
    dev: ROOT_DEV,
    supervisor: {
      endpoint: os.capDerive(askEndpoint, { rights: Rights.IPC_SEND }),
      service: supervisor.indexOf(FILE_SERVICE),
    },
  });
  return new RootDisk(supervisor, remote, supervisorEnv);
}
