/**
 * Linux x86-64 ABI numbers used by the syscall shim: system call numbers (arch/x86/entry/syscalls/
 * syscall_64.tbl), errno values (asm-generic/errno-base.h, errno.h) and signal numbers (asm/signal.h).
 */

/** System call names by number (0..334 and 424..452), for traces and unknown-call reports. */
const NAMES_0 =
  'read write open close stat fstat lstat poll lseek mmap mprotect munmap brk rt_sigaction rt_sigprocmask ' +
  'rt_sigreturn ioctl pread64 pwrite64 readv writev access pipe select sched_yield mremap msync mincore madvise ' +
  'shmget shmat shmctl dup dup2 pause nanosleep getitimer alarm setitimer getpid sendfile socket connect accept ' +
  'sendto recvfrom sendmsg recvmsg shutdown bind listen getsockname getpeername socketpair setsockopt getsockopt ' +
  'clone fork vfork execve exit wait4 kill uname semget semop semctl shmdt msgget msgsnd msgrcv msgctl fcntl ' +
  'flock fsync fdatasync truncate ftruncate getdents getcwd chdir fchdir rename mkdir rmdir creat link unlink ' +
  'symlink readlink chmod fchmod chown fchown lchown umask gettimeofday getrlimit getrusage sysinfo times ptrace ' +
  'getuid syslog getgid setuid setgid geteuid getegid setpgid getppid getpgrp setsid setreuid setregid getgroups ' +
  'setgroups setresuid getresuid setresgid getresgid getpgid setfsuid setfsgid getsid capget capset ' +
  'rt_sigpending rt_sigtimedwait rt_sigqueueinfo rt_sigsuspend sigaltstack utime mknod uselib personality ustat ' +
  'statfs fstatfs sysfs getpriority setpriority sched_setparam sched_getparam sched_setscheduler ' +
  'sched_getscheduler sched_get_priority_max sched_get_priority_min sched_rr_get_interval mlock munlock mlockall ' +
  'munlockall vhangup modify_ldt pivot_root _sysctl prctl arch_prctl adjtimex setrlimit chroot sync acct ' +
  'settimeofday mount umount2 swapon swapoff reboot sethostname setdomainname iopl ioperm create_module ' +
  'init_module delete_module get_kernel_syms query_module quotactl nfsservctl getpmsg putpmsg afs_syscall tuxcall ' +
  'security gettid readahead setxattr lsetxattr fsetxattr getxattr lgetxattr fgetxattr listxattr llistxattr ' +
  'flistxattr removexattr lremovexattr fremovexattr tkill time futex sched_setaffinity sched_getaffinity ' +
  'set_thread_area io_setup io_destroy io_getevents io_submit io_cancel get_thread_area lookup_dcookie ' +
  'epoll_create epoll_ctl_old epoll_wait_old remap_file_pages getdents64 set_tid_address restart_syscall ' +
  'semtimedop fadvise64 timer_create timer_settime timer_gettime timer_getoverrun timer_delete clock_settime ' +
  'clock_gettime clock_getres clock_nanosleep exit_group epoll_wait epoll_ctl tgkill utimes vserver mbind ' +
  'set_mempolicy get_mempolicy mq_open mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr kexec_load ' +
  'waitid add_key request_key keyctl ioprio_set ioprio_get inotify_init inotify_add_watch inotify_rm_watch ' +
  'migrate_pages openat mkdirat mknodat fchownat futimesat newfstatat unlinkat renameat linkat symlinkat ' +
  'readlinkat fchmodat faccessat pselect6 ppoll unshare set_robust_list get_robust_list splice tee ' +
  'sync_file_range vmsplice move_pages utimensat epoll_pwait signalfd timerfd_create eventfd fallocate ' +
  'timerfd_settime timerfd_gettime accept4 signalfd4 eventfd2 epoll_create1 dup3 pipe2 inotify_init1 preadv ' +
  'pwritev rt_tgsigqueueinfo perf_event_open recvmmsg fanotify_init fanotify_mark prlimit64 name_to_handle_at ' +
  'open_by_handle_at clock_adjtime syncfs sendmmsg setns getcpu process_vm_readv process_vm_writev kcmp ' +
  'finit_module sched_setattr sched_getattr renameat2 seccomp getrandom memfd_create kexec_file_load bpf ' +
  'execveat userfaultfd membarrier mlock2 copy_file_range preadv2 pwritev2 pkey_mprotect pkey_alloc pkey_free ' +
  'statx io_pgetevents rseq';
const NAMES_424 =
  'pidfd_send_signal io_uring_setup io_uring_enter io_uring_register open_tree move_mount fsopen fsconfig fsmount ' +
  'fspick pidfd_open clone3 close_range openat2 pidfd_getfd faccessat2 process_madvise epoll_pwait2 ' +
  'mount_setattr quotactl_fd landlock_create_ruleset landlock_add_rule landlock_restrict_self memfd_secret ' +
  'process_mrelease futex_waitv set_mempolicy_home_node cachestat fchmodat2';

export const SYSCALL_NAMES: Record<number, string> = {};
NAMES_0.split(' ').forEach((name, k) => {
  SYSCALL_NAMES[k] = name;
});
NAMES_424.split(' ').forEach((name, k) => {
  SYSCALL_NAMES[424 + k] = name;
});

/** Number of a system call by name (only for the names above). */
export const SYS: Record<string, number> = Object.fromEntries(
  Object.entries(SYSCALL_NAMES).map(([n, name]) => [name, Number(n)]),
);

export function syscallName(nr: number): string {
  return SYSCALL_NAMES[nr] ?? `syscall_${nr}`;
}

export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  ENOTBLK: 15,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  ETXTBSY: 26,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EMLINK: 31,
  EPIPE: 32,
  EDOM: 33,
  ERANGE: 34,
  EDEADLK: 35,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  ENOTSOCK: 88,
  EOPNOTSUPP: 95,
  ETIMEDOUT: 110,
  ESTALE: 116,
  EUCLEAN: 117,
} as const;

export const ERRNO_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(ERRNO).map(([k, v]) => [v, k]),
);

export const SIG = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPWR: 30,
  SIGSYS: 31,
} as const;

export const SIGNAL_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(SIG).map(([k, v]) => [v, k]),
);

export function signalName(sig: number): string {
  return SIGNAL_NAMES[sig] ?? (sig >= 34 && sig <= 64 ? `SIGRT${sig - 34}` : `signal ${sig}`);
}

/** Signals whose default action is to ignore them or to stop/continue (not terminate) the process. */
export const NON_FATAL_DEFAULT = new Set<number>([
  SIG.SIGCHLD,
  SIG.SIGCONT,
  SIG.SIGURG,
  SIG.SIGWINCH,
  SIG.SIGSTOP,
  SIG.SIGTSTP,
  SIG.SIGTTIN,
  SIG.SIGTTOU,
]);

export const PROT = { NONE: 0, READ: 1, WRITE: 2, EXEC: 4 } as const;

export const MAP = {
  SHARED: 0x01,
  PRIVATE: 0x02,
  SHARED_VALIDATE: 0x03,
  TYPE: 0x0f,
  FIXED: 0x10,
  ANONYMOUS: 0x20,
  GROWSDOWN: 0x100,
  DENYWRITE: 0x800,
  EXECUTABLE: 0x1000,
  LOCKED: 0x2000,
  NORESERVE: 0x4000,
  POPULATE: 0x8000,
  NONBLOCK: 0x10000,
  STACK: 0x20000,
  HUGETLB: 0x40000,
  FIXED_NOREPLACE: 0x100000,
} as const;

export const MREMAP = { MAYMOVE: 1, FIXED: 2, DONTUNMAP: 4 } as const;
