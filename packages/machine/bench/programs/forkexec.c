/* N rounds of fork, execve of a program that exits at once, and wait. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 10;
  char *args[] = {"nop", NULL};
  char *env[] = {NULL};
  for (long i = 0; i < n; i++) {
    pid_t k = fork();
    if (k == 0) { execve("/bin/nop", args, env); _exit(127); }
    int st;
    waitpid(k, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return 1;
  }
  return 0;
}
