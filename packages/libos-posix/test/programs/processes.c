/* fork, wait4 status encoding, exit codes, death by signal, process groups, execve of /proc/self/exe. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <errno.h>

static int global = 41;

static void report(const char *what, int status) {
  if (WIFEXITED(status)) printf("%s: exited %d\n", what, WEXITSTATUS(status));
  else if (WIFSIGNALED(status)) printf("%s: killed by signal %d\n", what, WTERMSIG(status));
  else printf("%s: status %#x\n", what, status);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "exec-child") == 0) {
    printf("exec'd child: argc=%d argv[2]=%s ppid_is_parent=%s\n", argc, argv[2], argv[3]);
    return 7;
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  pid_t me = getpid();
  /* Children exit with distinct codes; the parent waits for each by pid, in reverse order. */
  pid_t kids[5];
  for (int i = 0; i < 5; i++) {
    kids[i] = fork();
    if (kids[i] == 0) {
      global += i; /* a private copy */
      _exit(10 + i + (global - 41 - i));
    }
  }
  for (int i = 4; i >= 0; i--) {
    int status;
    pid_t got = waitpid(kids[i], &status, 0);
    char what[32];
    snprintf(what, sizeof what, "child %d%s", i, got == kids[i] ? "" : " (wrong pid)");
    report(what, status);
  }
  printf("parent global still %d\n", global);
  /* Death by signal: a child that kills itself, one that aborts, one that faults. */
  pid_t k = fork();
  if (k == 0) { kill(getpid(), SIGTERM); _exit(99); }
  int st;
  waitpid(k, &st, 0);
  report("self-SIGTERM", st);
  k = fork();
  if (k == 0) abort();
  waitpid(k, &st, 0);
  report("abort", st);
  k = fork();
  if (k == 0) { volatile int *bad = (int *)8; *bad = 1; _exit(98); }
  waitpid(k, &st, 0);
  report("null write", st);
  /* Killing a child that waits in read() on an empty pipe. */
  int p[2];
  pipe(p);
  k = fork();
  if (k == 0) { char c; close(p[1]); read(p[0], &c, 1); _exit(97); }
  close(p[0]);
  kill(k, SIGKILL);
  waitpid(k, &st, 0);
  report("SIGKILL in read", st);
  close(p[1]);
  /* WNOHANG with a running child, then ECHILD when there are none. */
  int q[2];
  pipe(q);
  k = fork();
  if (k == 0) { char c; close(q[1]); read(q[0], &c, 1); _exit(3); }
  close(q[0]);
  printf("WNOHANG: %d\n", waitpid(-1, &st, WNOHANG));
  write(q[1], "x", 1);
  printf("wait(-1) gives the child: %d\n", waitpid(-1, &st, 0) == k);
  report("released", st);
  printf("ECHILD: %d\n", waitpid(-1, &st, 0) == -1);
  /* Process groups. */
  k = fork();
  if (k == 0) { setpgid(0, 0); printf("child leads its group: %d\n", getpgrp() == getpid()); _exit(0); }
  waitpid(k, &st, 0);
  printf("getppid in child matches: ");
  k = fork();
  if (k == 0) { printf("%d\n", getppid() == me); _exit(0); }
  waitpid(k, &st, 0);
  /* execve of ourselves through /proc/self/exe. */
  k = fork();
  if (k == 0) {
    char *args[] = {"processes", "exec-child", "arg2", me == getppid() ? "yes" : "no", NULL};
    char *env[] = {"A=1", NULL};
    execve("/proc/self/exe", args, env);
    perror("execve");
    _exit(127);
  }
  waitpid(k, &st, 0);
  report("exec'd", st);
  errno = 0;
  char *none[] = {"x", NULL};
  printf("execve of a missing file: %d\n", execve("/no/such/file", none, none));
  perror("execve");
  return 0;
}
