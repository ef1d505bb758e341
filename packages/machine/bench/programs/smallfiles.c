/* argv[1] rounds of small-file operations in /files: create (with 100 bytes), stat, unlink. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv) {
  long rounds = argc > 1 ? atol(argv[1]) : 1;
  static char data[100];
  char name[64];
  if (mkdir("/files", 0755) != 0) return 1;
  for (long i = 0; i < rounds; i++) {
    snprintf(name, sizeof name, "/files/f%ld", i);
    int fd = open(name, O_CREAT | O_EXCL | O_WRONLY, 0644);
    if (fd < 0 || write(fd, data, sizeof data) != (long)sizeof data || close(fd) != 0) return 2;
    struct stat st;
    if (stat(name, &st) != 0 || st.st_size != (long)sizeof data) return 3;
    if (unlink(name) != 0) return 4;
  }
  return rmdir("/files") == 0 ? 0 : 5;
}
