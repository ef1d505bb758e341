/**
 * The two ends of a file-system server as a machine sets them up: the server, running in an environment
 * of its own with the only capability to the disk, and a library OS's connection to it.
 *
 * `startFileServer` runs with the server environment's API: it mounts the ext2 file system on the disk
 * extent through DMA into its own frames and answers calls on its endpoint. `connectFileServer` runs with
 * the library OS's API: it grants the server its message and data frames and returns the file system as
 * the namespace mounts it, reached by direct calls (the server answers inside the library OS's system
 * call, on its time, as a protected control transfer).
 */
import type { EnvApi } from '@exov6/exokernel';
import { EPOCH_SECONDS } from '@exov6/hal-x86';
import { Ext2FileSystem } from '../ext2/ext2-file-system';
import { type Recovery, RemoteFileSystem } from '../fs/remote-file-system';
import { awaitService } from '../supervisor/supervisor-protocol';
import { ExtentBlockDevice } from './extent-device';
import { FileServer } from './file-server';
import { FrameJournal } from './frame-journal';
import { FrameRange } from './frame-range';
import { FsTransportError, IpcFileClient, IpcFileServer } from './ipc-transport';

export interface FileServerCapabilities {
  /** The disk extent (READ, and WRITE for a read-write mount). */
  disk: number;
  /** The endpoint's receiving end (IPC_RECV). */
  endpoint: number;
  /**
   * A timer capability with READ, for file times: seconds from EPOCH_SECONDS at the machine clock's 0, as
   * the library OS's CLOCK_REALTIME. Without one, times stay at EPOCH_SECONDS.
   */
  clock?: number;
  /**
   * Frames (READ and WRITE) for the journal, held by someone who outlives the server (a supervisor):
   * each request is committed there before it may reach the disk, and a new server started on the same
   * frames first replays what the last one committed (see frame-journal.ts). Without them, a server that
   * dies loses what it had not written back.
   */
  journal?: number[];
}

export interface FileServerOptions {
  /** Blocks the server's buffer cache keeps between requests (default 4096). */
  cacheBlocks?: number;
  readOnly?: boolean;
}

export interface RunningFileServer {
  readonly fs: Ext2FileSystem;
  readonly server: FileServer;
  readonly ipc: IpcFileServer;
  readonly device: ExtentBlockDevice;
  readonly journal: FrameJournal | null;
  /** Writes everything back and marks the file system clean (the machine's power-off). */
  unmount(): void;
}

/** Mounts the disk and starts answering (an Ext2Error when the disk holds no ext2 it can mount). */
export function startFileServer(
  api: EnvApi,
  caps: FileServerCapabilities,
  options: FileServerOptions = {},
): RunningFileServer {
  const device = new ExtentBlockDevice(api, caps.disk, options.readOnly ?? false);
  const timer = caps.clock;
  const clock = () => EPOCH_SECONDS + (timer === undefined ? 0 : Math.floor(api.clockNow(timer) / 1e9));
  const journal =
    caps.journal === undefined || device.readOnly || options.readOnly === true
      ? null
      : FrameJournal.open(new FrameRange(api, caps.journal), device);
  const fs = Ext2FileSystem.mount(device, {
    clock,
    readOnly: options.readOnly,
    cacheBlocks: options.cacheBlocks,
    journal: journal ?? undefined,
  });
  const server = new FileServer(fs, fs.readOnly ? null : journal);
  const ipc = new IpcFileServer(api, caps.endpoint, server);
  ipc.listen();
  return { fs, server, ipc, device, journal, unmount: () => fs.unmount() };
}

export interface ConnectOptions {
  /** st_dev of the file system's files. */
  dev: number;
  /** Frames for request and response messages (default 16: large directory listings fit). */
  messageFrames?: number;
  /** Frames of the data window: the most one read or write request moves (default 64, 256 KiB). */
  dataFrames?: number;
  /**
   * The supervisor that restarts the server: its endpoint (IPC_SEND) and the server's service index.
   * A request the server died holding is then sent again to the next server; without one, a server that
   * dies is EIO.
   */
  supervisor?: { endpoint: number; service: number };
}

/** Connects to the server at `endpoint` (an IPC_SEND capability); the server must be listening. */
export function connectFileServer(os: EnvApi, endpoint: number, options: ConnectOptions): RemoteFileSystem {
  const client = new IpcFileClient(os, endpoint, {
    messageFrames: options.messageFrames ?? 16,
    dataFrames: options.dataFrames ?? 64,
  });
  client.connectDirect();
  const supervisor = options.supervisor;
  const recover = (): Recovery => {
    if (supervisor === undefined) return { kind: 'failed' };
    const state = awaitService(os, supervisor.endpoint, supervisor.service);
    if (state.kind === 'later') return state;
    if (state.kind !== 'up') return { kind: 'failed' };
    try {
      // A new server knows nothing of this client: its frames are granted again.
      client.connectDirect();
      return { kind: 'ready' };
    } catch (e) {
      if (e instanceof FsTransportError) return { kind: 'failed' };
      throw e;
    }
  };
  return new RemoteFileSystem(
    { call: (bytes) => client.callDirect(bytes), window: client.window, recover },
    options.dev,
  );
}
