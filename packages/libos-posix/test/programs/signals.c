/* Handlers with SA_SIGINFO, masks and pending sets, sigsuspend, SIGCHLD, SA_RESETHAND, SA_NODEFER,
 * the alternate stack, and recovery from SIGSEGV and SIGFPE with siglongjmp. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t hits, last_sig, last_code, chld;
static volatile pid_t last_pid;
static sigjmp_buf jump;
static volatile void *fault_addr;
static volatile int on_alt;
static char altstack[65536];

static void info_handler(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  hits++;
  last_sig = sig;
  last_code = si->si_code;
  last_pid = si->si_pid;
}

static void chld_handler(int sig) { (void)sig; chld++; }

static void segv_handler(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  fault_addr = si->si_addr;
  char probe;
  on_alt = (char *)&probe >= altstack && (char *)&probe < altstack + sizeof altstack;
  siglongjmp(jump, sig);
}

static void nested(int sig) {
  (void)sig;
  hits++;
  if (hits < 3) raise(SIGUSR2); /* SA_NODEFER: delivered inside this handler */
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = info_handler;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  printf("handler ran %d times, sig %d, code is SI_TKILL %d\n", hits, last_sig, last_code == SI_TKILL);
  kill(getpid(), SIGUSR1);
  printf("kill: hits %d, code SI_USER %d, pid is mine %d\n", hits, last_code == SI_USER, last_pid == getpid());

  /* Blocked signals stay pending until unblocked. */
  sigset_t set, old, pending;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, &old);
  raise(SIGUSR1);
  sigpending(&pending);
  printf("while blocked: hits %d, pending %d\n", hits, sigismember(&pending, SIGUSR1));
  sigprocmask(SIG_SETMASK, &old, NULL);
  printf("after unblocking: hits %d\n", hits);

  /* SIGCHLD, and sigsuspend waiting for it. */
  signal(SIGCHLD, chld_handler);
  sigprocmask(SIG_BLOCK, &(sigset_t){0}, NULL);
  sigset_t chldset;
  sigemptyset(&chldset);
  sigaddset(&chldset, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chldset, &old);
  pid_t k = fork();
  if (k == 0) _exit(4);
  while (chld == 0) sigsuspend(&old);
  sigprocmask(SIG_SETMASK, &old, NULL);
  int st;
  waitpid(k, &st, 0);
  printf("SIGCHLD seen %d, child exit %d\n", chld, WEXITSTATUS(st));

  /* SA_RESETHAND: the second SIGUSR2 has the default action (terminate): in a child. */
  k = fork();
  if (k == 0) {
    struct sigaction r;
    memset(&r, 0, sizeof r);
    r.sa_handler = chld_handler;
    r.sa_flags = SA_RESETHAND;
    sigaction(SIGUSR2, &r, NULL);
    raise(SIGUSR2);
    printf("child: first SIGUSR2 handled\n");
    raise(SIGUSR2);
    _exit(0);
  }
  waitpid(k, &st, 0);
  printf("SA_RESETHAND child killed by %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);

  /* SA_NODEFER: the handler is re-entered. */
  hits = 0;
  struct sigaction nd;
  memset(&nd, 0, sizeof nd);
  nd.sa_handler = nested;
  nd.sa_flags = SA_NODEFER;
  sigaction(SIGUSR2, &nd, NULL);
  raise(SIGUSR2);
  printf("nested handler entries: %d\n", hits);

  /* SIGSEGV on the alternate stack, recovered with siglongjmp. */
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  sigaltstack(&ss, NULL);
  struct sigaction sv;
  memset(&sv, 0, sizeof sv);
  sv.sa_sigaction = segv_handler;
  sv.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigaction(SIGSEGV, &sv, NULL);
  sigaction(SIGFPE, &sv, NULL);
  char *page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  int sig = sigsetjmp(jump, 1);
  if (sig == 0) {
    page[100] = 1;
    printf("write to a read-only page did not fault\n");
  } else {
    printf("SIGSEGV caught: sig %d, address right %d, on the alternate stack %d\n", sig, fault_addr == page + 100, on_alt);
  }
  mprotect(page, 4096, PROT_READ | PROT_WRITE);
  page[100] = 5;
  printf("after mprotect the write works: %d\n", page[100]);
  volatile int zero = 0;
  sig = sigsetjmp(jump, 1);
  if (sig == 0) printf("division %d\n", 10 / zero);
  else printf("SIGFPE caught: %d\n", sig);
  /* Recovered twice: the mask was restored by siglongjmp, so a third fault is caught too. */
  sig = sigsetjmp(jump, 1);
  if (sig == 0) { *(volatile int *)16 = 0; }
  printf("third fault caught: %d\n", sig);
  return 0;
}
