/* argv[1] MiB from a child through a pipe to its parent, in 64 KiB writes and reads. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
  long mib = argc > 1 ? atol(argv[1]) : 1;
  static char buf[65536];
  int p[2];
  pipe(p);
  pid_t k = fork();
  if (k == 0) {
    close(p[0]);
    memset(buf, 'x', sizeof buf);
    for (long left = mib << 20; left > 0;) {
      long w = write(p[1], buf, left < (long)sizeof buf ? left : (long)sizeof buf);
      if (w <= 0) _exit(1);
      left -= w;
    }
    _exit(0);
  }
  close(p[1]);
  long total = 0, n;
  while ((n = read(p[0], buf, sizeof buf)) > 0) total += n;
  waitpid(k, NULL, 0);
  return total == mib << 20 ? 0 : 1;
}
