/** Running static Linux x86-64 executables on the simulated CPU, with a minimal Linux system call layer. */

export { ERRNO, SIG, SYSCALL_NAMES, signalName, syscallName } from './linux';
export { DeterministicRandom } from './random';
export type { RunOptions, RunResult, StdinSource } from './run';
export { LinuxProcess, runStaticElf } from './run';
export { EPOCH_SECONDS, GID, LinuxSyscalls, NS_PER_INSTRUCTION, PID, UID } from './syscalls';
export { GuestOutOfMemory, MMAP_TOP, ProcessMemory, STACK_LIMIT, STACK_TOP } from './vm';
