/* N one-byte round trips between two processes over two pipes. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100;
  int ping[2], pong[2];
  pipe(ping);
  pipe(pong);
  char c = 'x';
  pid_t k = fork();
  if (k == 0) {
    for (long i = 0; i < n; i++) {
      if (read(ping[0], &c, 1) != 1) _exit(1);
      write(pong[1], &c, 1);
    }
    _exit(0);
  }
  for (long i = 0; i < n; i++) {
    write(ping[1], &c, 1);
    if (read(pong[0], &c, 1) != 1) return 1;
  }
  waitpid(k, NULL, 0);
  return 0;
}
