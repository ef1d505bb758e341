/* Stop and continue (SIGSTOP, SIGTSTP, SIGCONT) as wait reports them, real-time signals queued one per
 * send, sigtimedwait, a signal that interrupts a blocking read with EINTR or restarts it (SA_RESTART),
 * and the SIGCHLD siginfo of waitid. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int rt_count, usr_count;
static void rt_handler(int sig) { (void)sig; rt_count++; }
static void usr_handler(int sig) { (void)sig; usr_count++; }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int st;
  /* A child stops itself; the parent sees it stopped, continues it, sees it continued, then its exit.
   * (The child exits only once the parent closes the pipe: a child continued and already exited would
   * make the WCONTINUED wait report the exit instead, on a machine where it runs first.) */
  int gate[2];
  pipe(gate);
  pid_t k = fork();
  if (k == 0) {
    char c;
    close(gate[1]);
    raise(SIGSTOP);
    while (read(gate[0], &c, 1) < 0 && errno == EINTR) {}
    _exit(6);
  }
  close(gate[0]);
  waitpid(k, &st, WUNTRACED);
  printf("stopped %d by %d\n", WIFSTOPPED(st), WSTOPSIG(st));
  kill(k, SIGCONT);
  waitpid(k, &st, WCONTINUED);
  printf("continued %d\n", WIFCONTINUED(st));
  close(gate[1]);
  waitpid(k, &st, 0);
  printf("then exited %d\n", WEXITSTATUS(st));

  /* SIGTSTP's default action stops too; SIGKILL ends a stopped process. The child takes a process group
   * of its own first: Linux discards SIGTSTP in an orphaned process group, which the group this test
   * runs in may be, depending on what started it. */
  k = fork();
  if (k == 0) {
    setpgid(0, 0);
    raise(SIGTSTP);
    _exit(7);
  }
  waitpid(k, &st, WUNTRACED);
  printf("SIGTSTP stopped %d by %d\n", WIFSTOPPED(st), WSTOPSIG(st));
  kill(k, SIGKILL);
  waitpid(k, &st, 0);
  printf("killed while stopped by %d\n", WTERMSIG(st));

  /* Real-time signals queue: three sends while blocked, three deliveries; a standard one merges. */
  signal(SIGRTMIN + 1, rt_handler);
  signal(SIGUSR1, usr_handler);
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGRTMIN + 1);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, &old);
  for (int i = 0; i < 3; i++) {
    kill(getpid(), SIGRTMIN + 1);
    kill(getpid(), SIGUSR1);
  }
  sigprocmask(SIG_SETMASK, &old, NULL);
  printf("real-time delivered %d times, SIGUSR1 %d\n", rt_count, usr_count);

  /* sigtimedwait takes a blocked pending signal without running its handler. */
  sigprocmask(SIG_BLOCK, &set, NULL);
  kill(getpid(), SIGUSR1);
  siginfo_t info;
  struct timespec zero = {0, 0};
  int got = sigtimedwait(&set, &info, &zero);
  printf("sigtimedwait %d pid is mine %d, handler count still %d\n", got, info.si_pid == getpid(), usr_count);
  errno = 0;
  printf("nothing pending: %d EAGAIN %d\n", sigtimedwait(&set, &info, &zero), errno == EAGAIN);

  /* With a timeout it waits: the whole timeout when nothing comes, until the signal when one does. */
  struct timespec t0, t1, wait30 = {0, 30 * 1000 * 1000}, wait5s = {5, 0};
  clock_gettime(CLOCK_MONOTONIC, &t0);
  errno = 0;
  got = sigtimedwait(&set, &info, &wait30);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long waited_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  printf("timed out: %d EAGAIN %d after the timeout %d\n", got, errno == EAGAIN, waited_ms >= 30);
  k = fork();
  if (k == 0) {
    struct timespec nap = {0, 20 * 1000 * 1000};
    nanosleep(&nap, NULL);
    kill(getppid(), SIGUSR1);
    _exit(0);
  }
  clock_gettime(CLOCK_MONOTONIC, &t0);
  got = sigtimedwait(&set, &info, &wait5s);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  waited_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  printf("woken by the child's signal: %d from the child %d before the timeout %d\n", got == SIGUSR1,
         info.si_pid == k, waited_ms < 5000);
  waitpid(k, NULL, 0);
  sigprocmask(SIG_SETMASK, &old, NULL);

  /* A handler without SA_RESTART interrupts a blocking read (EINTR); with it, the read goes on. */
  int p[2];
  pipe(p);
  k = fork();
  if (k == 0) {
    kill(getppid(), SIGUSR1);
    _exit(0);
  }
  char c;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = usr_handler;
  sigaction(SIGUSR1, &sa, NULL);
  errno = 0;
  ssize_t n = read(p[0], &c, 1);
  printf("read interrupted: %zd EINTR %d\n", n, errno == EINTR);
  waitpid(k, NULL, 0);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL);
  k = fork();
  if (k == 0) {
    kill(getppid(), SIGUSR1);
    write(p[1], "z", 1);
    _exit(0);
  }
  n = read(p[0], &c, 1);
  printf("read restarted: %zd [%c]\n", n, c);
  waitpid(k, NULL, 0);

  /* waitid's siginfo for an exited child. */
  k = fork();
  if (k == 0) _exit(9);
  siginfo_t ci;
  memset(&ci, 0, sizeof ci);
  waitid(P_PID, k, &ci, WEXITED);
  printf("waitid: signo %d code CLD_EXITED %d status %d pid right %d\n", ci.si_signo, ci.si_code == CLD_EXITED, ci.si_status, ci.si_pid == k);
  return 0;
}
