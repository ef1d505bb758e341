/* Pipes between processes: a large transfer with a checksum, EOF when writers close, EPIPE/SIGPIPE, dup2. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int p[2];
  pipe(p);
  const int total = 300000;
  pid_t k = fork();
  if (k == 0) {
    close(p[0]);
    unsigned char buf[7000];
    int sent = 0;
    while (sent < total) {
      int n = total - sent < (int)sizeof buf ? total - sent : (int)sizeof buf;
      for (int i = 0; i < n; i++) buf[i] = (unsigned char)((sent + i) * 7);
      int w = write(p[1], buf, n);
      if (w <= 0) _exit(1);
      sent += w;
    }
    _exit(0);
  }
  close(p[1]);
  unsigned long sum = 0, count = 0;
  unsigned char buf[3000];
  int n;
  while ((n = read(p[0], buf, sizeof buf)) > 0) {
    for (int i = 0; i < n; i++) sum = sum * 31 + buf[i];
    count += n;
  }
  int st;
  waitpid(k, &st, 0);
  printf("received %lu bytes, checksum %lu, writer status %d, read at EOF %d\n", count, sum, WEXITSTATUS(st), n);
  close(p[0]);

  /* Writing to a pipe nobody reads: SIGPIPE by default, EPIPE when ignored. */
  pipe(p);
  close(p[0]);
  k = fork();
  if (k == 0) { write(p[1], "x", 1); _exit(0); }
  waitpid(k, &st, 0);
  printf("default SIGPIPE: signaled %d signal %d\n", WIFSIGNALED(st), WTERMSIG(st));
  signal(SIGPIPE, SIG_IGN);
  errno = 0;
  printf("ignored: write %zd errno EPIPE %d\n", write(p[1], "x", 1), errno == EPIPE);
  close(p[1]);

  /* O_NONBLOCK on an empty pipe: EAGAIN. */
  pipe2(p, O_NONBLOCK);
  char c;
  errno = 0;
  printf("nonblocking read %zd EAGAIN %d\n", read(p[0], &c, 1), errno == EAGAIN);
  close(p[0]);
  close(p[1]);

  /* A child's stdout redirected into a pipe with dup2, read by the parent. */
  pipe(p);
  k = fork();
  if (k == 0) {
    dup2(p[1], 1);
    close(p[0]);
    close(p[1]);
    printf("line one\nline two\n");
    fflush(stdout);
    _exit(0);
  }
  close(p[1]);
  char text[100] = {0};
  int got = 0;
  while ((n = read(p[0], text + got, sizeof text - 1 - got)) > 0) got += n;
  waitpid(k, &st, 0);
  printf("from the child: [%s]\n", text);
  return 0;
}
