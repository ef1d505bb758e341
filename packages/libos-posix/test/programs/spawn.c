/* posix_spawn (musl uses clone with CLONE_VM | CLONE_VFORK and a stack of its own) and system(). */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  if (argc > 1) {
    printf("spawned child says %s\n", argv[1]);
    return 5;
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  pid_t pid;
  char *args[] = {argv[0], "hello", NULL};
  int rc = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, args, environ);
  int st;
  waitpid(pid, &st, 0);
  printf("posix_spawn %d, child exited %d\n", rc, WEXITSTATUS(st));
  rc = posix_spawn(&pid, "/no/such/program", NULL, NULL, args, environ);
  printf("posix_spawn of a missing program: %s\n", rc == 0 ? "started" : "refused");
  if (rc == 0) waitpid(pid, &st, 0);
  return 0;
}
