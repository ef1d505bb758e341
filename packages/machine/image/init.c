/*
 * ExoV6's init (pid 1). With a command (init CMD ARGS...) it runs that command and exits with its status
 * once it ends: the machine's non-interactive mode. Without one it starts a shell in a session of its own
 * whose controlling terminal is the console, and exits when the shell does (the machine then powers off).
 * Either way it reaps every orphan that comes to it meanwhile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <errno.h>

static int status_of(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st); }

int main(int argc, char **argv) {
  char *shell[] = {"-sh", NULL};
  char *env[] = {"PATH=/bin:/sbin", "HOME=/root", "TERM=vt100", "PS1=exov6:\\w# ", "USER=root", NULL};
  int interactive = argc < 2;
  pid_t main_child = fork();
  if (main_child < 0) { perror("init: fork"); return 1; }
  if (main_child == 0) {
    if (interactive) {
      setsid();
      ioctl(0, TIOCSCTTY, 0);
      chdir("/root");
      execve("/bin/sh", shell, env);
      perror("init: /bin/sh");
      _exit(127);
    }
    execve(argv[1], argv + 1, env);
    fprintf(stderr, "init: %s: %s\n", argv[1], strerror(errno));
    _exit(127);
  }
  for (;;) {
    int st;
    pid_t pid = wait(&st);
    if (pid == main_child) return status_of(st);
    if (pid < 0) return 1;
  }
}
