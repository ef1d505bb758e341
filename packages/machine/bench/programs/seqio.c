/*
 * Sequential file I/O: writes argv[1] MiB to /data in 1 MiB writes and fsyncs it, then, with argv[2]
 * "read", reads it back in 1 MiB reads and checks every byte.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
  long mib = argc > 1 ? atol(argv[1]) : 1;
  int readBack = argc > 2 && strcmp(argv[2], "read") == 0;
  static unsigned char buf[1 << 20];
  int fd = open("/data", O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0) return 1;
  for (long i = 0; i < mib; i++) {
    memset(buf, (int)(i & 0xff), sizeof buf);
    if (write(fd, buf, sizeof buf) != (long)sizeof buf) return 2;
  }
  if (fsync(fd) != 0 || close(fd) != 0) return 3;
  if (!readBack) return 0;
  fd = open("/data", O_RDONLY);
  if (fd < 0) return 4;
  for (long i = 0; i < mib; i++) {
    long got = 0;
    while (got < (long)sizeof buf) {
      long n = read(fd, buf + got, sizeof buf - got);
      if (n <= 0) return 5;
      got += n;
    }
    for (long k = 0; k < (long)sizeof buf; k += 4096)
      if (buf[k] != (unsigned char)(i & 0xff)) return 6;
  }
  return close(fd) == 0 ? 0 : 7;
}
