/**
 * Process system calls: exit, fork (and clone as C libraries use it for fork), execve, wait4/waitid,
 * identities (pids, process groups, sessions, uids), kill and friends.
 */
import { CpuContext, SIG } from '@exov6/hal-x86';
import { fail } from '../errno';
import { loadProgram } from '../process/program-image';
import { commandName, Process } from '../process/process';
import { exitedStatus } from '../process/wait-status';
import { type Call, NO_RETURN, type SyscallHandler, type SyscallResult } from './call';

const CLONE = {
  VM: 0x100,
  FS: 0x200,
  FILES: 0x400,
  SIGHAND: 0x800,
  VFORK: 0x4000,
  PARENT: 0x8000,
  THREAD: 0x10000,
  SETTLS: 0x80000,
  PARENT_SETTID: 0x100000,
  CHILD_CLEARTID: 0x200000,
  CHILD_SETTID: 0x1000000,
} as const;
const CSIGNAL = 0xff;

const WNOHANG = 1;
const WUNTRACED = 2;
const WCONTINUED = 8;
const __WALL = 0x40000000;
const __WCLONE = 0x80000000;

/** fork: a copy-on-write copy of the caller; the child's RAX is 0, the parent's the child's pid. */
export function fork(c: Call, childTidAt = 0, settid = false): number {
  const parent = c.process;
  const system = c.system;
  const memory = parent.memory.fork();
  let envCap: number;
  try {
    envCap = system.os.envCreate({ quota: 0 });
  } catch (e) {
    memory.destroy();
    throw e;
  }
  const pid = system.allocatePid();
  const child = new Process(
    pid,
    parent,
    envCap,
    memory,
    parent.fds.clone(),
    parent.cwd,
    parent.pgid,
    parent.sid,
    (p) => system.wakeProcessOf(p),
  );
  child.umask = parent.umask;
  child.uid = parent.uid;
  child.gid = parent.gid;
  child.argv = [...parent.argv];
  child.execPath = parent.execPath;
  child.comm = parent.comm;
  child.signals = parent.signals.forkCopy();
  parent.children.add(child);
  system.admit(child);
  system.os.envSetAddressSpace(envCap, memory.spaceCap);
  const regs = system.os.envReadContext(parent.envCap);
  // The context the parent's handler holds is the live one (RIP after the syscall); copy it with RAX = 0.
  regs.copyFrom(c.regs);
  regs.setReg(0, 0);
  system.os.envWriteContext(envCap, regs);
  if (settid && childTidAt !== 0) {
    const tid = new Uint8Array(4);
    new DataView(tid.buffer).setInt32(0, pid, true);
    memory.write(childTidAt, tid);
  }
  system.os.envStart(envCap);
  return pid;
}

function clone(c: Call): number {
  const flags = c.arg(0);
  const stack = c.arg(1);
  // A thread (CLONE_VM without CLONE_VFORK) would share the address space: not supported.
  if (
    (flags & (CLONE.THREAD | CLONE.SIGHAND)) !== 0 ||
    ((flags & CLONE.VM) !== 0 && (flags & CLONE.VFORK) === 0)
  ) {
    fail('EINVAL', 'threads are not supported (clone with CLONE_VM/CLONE_THREAD)');
  }
  if ((flags & CSIGNAL) !== SIG.SIGCHLD && (flags & CSIGNAL) !== 0)
    fail('EINVAL', 'clone exit signal other than SIGCHLD');
  // vfork (CLONE_VM | CLONE_VFORK) is served as fork: the child gets a copy, the parent goes on.
  const pid = fork(c, c.arg(3), (flags & CLONE.CHILD_SETTID) !== 0);
  // A new stack (posix_spawn's CLONE_VM | CLONE_VFORK child runs on one): the child's copy starts on it.
  if (stack !== 0) {
    const child = c.system.process(pid) as Process;
    const regs = c.system.os.envReadContext(child.envCap);
    regs.setReg(4, stack);
    c.system.os.envWriteContext(child.envCap, regs);
  }
  if ((flags & CLONE.PARENT_SETTID) !== 0 && c.arg(2) !== 0) {
    const tid = new Uint8Array(4);
    new DataView(tid.buffer).setInt32(0, pid, true);
    c.memory.write(c.arg(2), tid);
  }
  return pid;
}

/** Up to this many levels of "#!" interpreters, as Linux allows. */
const MAX_INTERPRETER_DEPTH = 4;

function execve(c: Call, path: string, argv: string[], env: string[]): SyscallResult {
  const proc = c.process;
  const system = c.system;
  let file = path;
  let args = argv;
  let { bytes, cacheKey } = system.executable(file, proc.cwd);
  // "#!interpreter [arg]" scripts: run the interpreter with the script's path.
  for (let depth = 0; bytes[0] === 0x23 && bytes[1] === 0x21; depth++) {
    if (depth >= MAX_INTERPRETER_DEPTH) fail('ELOOP', 'too many interpreters');
    const end = bytes.indexOf(0x0a);
    const line = new TextDecoder()
      .decode(bytes.subarray(2, end < 0 ? Math.min(bytes.length, 256) : end))
      .trim();
    const space = line.search(/\s/);
    const interpreter = space < 0 ? line : line.slice(0, space);
    const extra = space < 0 ? '' : line.slice(space).trim();
    if (interpreter === '') fail('ENOEXEC', `${path}: empty #! line`);
    args = [interpreter, ...(extra ? [extra] : []), file, ...args.slice(1)];
    file = interpreter;
    ({ bytes, cacheKey } = system.executable(file, proc.cwd));
  }
  const program = loadProgram(system.pool, {
    bytes,
    cacheKey,
    pageCache: system.pageCache,
    argv: args,
    env,
    path,
    random: system.randomBytes(16),
    uid: proc.uid,
    gid: proc.gid,
  });
  // The point of no return: the new image replaces the old.
  const old = proc.memory;
  system.os.envSetAddressSpace(proc.envCap, program.memory.spaceCap);
  proc.memory = program.memory;
  old.destroy();
  proc.fds.closeOnExec();
  proc.signals.resetForExec();
  proc.argv = args;
  proc.execPath = system.fs.realpath(file, proc.cwd);
  proc.comm = commandName(path);
  const regs = CpuContext.initial();
  regs.rip = program.entry;
  regs.setReg(4, program.stackPointer);
  system.os.envWriteContext(proc.envCap, regs);
  return NO_RETURN;
}

/** Whether `child` is one wait4's pid argument selects. */
function selects(parent: Process, child: Process, pid: number): boolean {
  if (pid > 0) return child.pid === pid;
  if (pid === -1) return true;
  if (pid === 0) return child.pgid === parent.pgid;
  return child.pgid === -pid;
}

function wait4(c: Call): SyscallResult {
  const pid = c.int(0);
  const statusAt = c.arg(1);
  const options = c.int(2);
  if ((options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WALL | __WCLONE)) !== 0)
    fail('EINVAL', `wait options ${options}`);
  const proc = c.process;
  const candidates = [...proc.children].filter((ch) => selects(proc, ch, pid));
  if (candidates.length === 0) fail('ECHILD');
  const report = c.system.waitReport(proc, candidates, options);
  if (report !== null) {
    if (statusAt !== 0) {
      const out = new Uint8Array(4);
      new DataView(out.buffer).setInt32(0, report.status, true);
      c.memory.write(statusAt, out);
    }
    if (c.arg(3) !== 0) c.memory.write(c.arg(3), new Uint8Array(144)); // struct rusage: all zero
    return report.pid;
  }
  if ((options & WNOHANG) !== 0) return 0;
  return { wouldBlock: proc.childEvents };
}

const P_ALL = 0;
const P_PID = 1;
const P_PGID = 2;
const WEXITED = 4;
const WSTOPPED = 2;
const WNOWAIT = 0x1000000;

function waitid(c: Call): SyscallResult {
  const idtype = c.int(0);
  const id = c.int(1);
  const infoAt = c.arg(2);
  const options = c.int(3);
  const proc = c.process;
  const pid =
    idtype === P_ALL
      ? -1
      : idtype === P_PID
        ? id
        : idtype === P_PGID
          ? -id
          : fail('EINVAL', `idtype ${idtype}`);
  if ((options & (WEXITED | WSTOPPED | WCONTINUED)) === 0)
    fail('EINVAL', 'waitid needs WEXITED, WSTOPPED or WCONTINUED');
  const candidates = [...proc.children].filter((ch) => selects(proc, ch, pid === 0 ? -proc.pgid : pid));
  if (candidates.length === 0) fail('ECHILD');
  const report = c.system.waitReport(
    proc,
    candidates,
    (options & WSTOPPED ? WUNTRACED : 0) | (options & WCONTINUED) | (options & WNOHANG),
    (options & WNOWAIT) !== 0,
  );
  if (report === null) {
    if ((options & WNOHANG) !== 0) {
      if (infoAt !== 0) c.memory.write(infoAt, new Uint8Array(128));
      return 0;
    }
    return { wouldBlock: proc.childEvents };
  }
  if (infoAt !== 0) c.memory.write(infoAt, c.system.childSiginfo(report));
  return 0;
}

function setpgid(c: Call): number {
  const proc = c.process;
  const pid = c.int(0) === 0 ? proc.pid : c.int(0);
  const target = c.system.process(pid);
  if (target === undefined || (target !== proc && target.parent !== proc)) fail('ESRCH', `pid ${pid}`);
  const pgid = c.int(1) === 0 ? target.pid : c.int(1);
  if (pgid < 0) fail('EINVAL');
  if (target.sid !== proc.sid) fail('EPERM', 'another session');
  if (target.pid === target.sid) fail('EPERM', 'a session leader');
  if (
    pgid !== target.pid &&
    ![...c.system.processes.values()].some((p) => p.pgid === pgid && p.sid === proc.sid)
  ) {
    fail('EPERM', `no process group ${pgid} in the session`);
  }
  target.pgid = pgid;
  return 0;
}

function lookupPid(c: Call, pid: number): Process {
  const target = pid === 0 ? c.process : c.system.process(pid);
  if (target === undefined) fail('ESRCH', `pid ${pid}`);
  return target;
}

export const PROCESS_CALLS: Record<string, SyscallHandler> = {
  exit: (c) => {
    c.system.exit(c.process, exitedStatus(c.int(0)));
    return NO_RETURN;
  },
  exit_group: (c) => {
    c.system.exit(c.process, exitedStatus(c.int(0)));
    return NO_RETURN;
  },
  fork: (c) => fork(c),
  vfork: (c) => fork(c),
  clone,
  execve: (c) => execve(c, c.path(0), c.memory.readStringArray(c.arg(1)), c.memory.readStringArray(c.arg(2))),
  wait4,
  waitid,
  getpid: (c) => c.process.pid,
  gettid: (c) => c.process.pid,
  getppid: (c) => c.process.ppid,
  getuid: (c) => c.process.uid,
  geteuid: (c) => c.process.uid,
  getgid: (c) => c.process.gid,
  getegid: (c) => c.process.gid,
  getresuid: (c) => writeIds(c, c.process.uid),
  getresgid: (c) => writeIds(c, c.process.gid),
  getgroups: (c) => {
    if (c.int(0) > 0) {
      const out = new Uint8Array(4);
      new DataView(out.buffer).setUint32(0, c.process.gid, true);
      c.memory.write(c.arg(1), out);
    }
    return 1;
  },
  setuid: (c) => setIdentity(c, 'uid'),
  setgid: (c) => setIdentity(c, 'gid'),
  setgroups: (c) => (c.process.uid === 0 ? 0 : fail('EPERM')),
  setpgid,
  getpgid: (c) => lookupPid(c, c.int(0)).pgid,
  getpgrp: (c) => c.process.pgid,
  getsid: (c) => lookupPid(c, c.int(0)).sid,
  setsid: (c) => {
    const proc = c.process;
    if ([...c.system.processes.values()].some((p) => p.pgid === proc.pid)) {
      if (proc.pgid === proc.pid) fail('EPERM', 'already a process group leader');
    }
    proc.sid = proc.pid;
    proc.pgid = proc.pid;
    return proc.sid;
  },
  set_tid_address: (c) => {
    c.process.clearChildTid = c.arg(0);
    return c.process.pid;
  },
  sched_yield: () => 0,
};

function writeIds(c: Call, id: number): number {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, id, true);
  for (let k = 0; k < 3; k++) if (c.arg(k) !== 0) c.memory.write(c.arg(k), out);
  return 0;
}

function setIdentity(c: Call, which: 'uid' | 'gid'): number {
  const id = c.int(0);
  if (c.process.uid !== 0 && id !== c.process[which]) fail('EPERM');
  c.process[which] = id;
  return 0;
}
