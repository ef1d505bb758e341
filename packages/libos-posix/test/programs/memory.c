/* brk and malloc, anonymous mmap and munmap, MAP_FIXED, mprotect, copy-on-write across fork. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  /* The brk system call itself (musl's sbrk only reports the break). */
  char *start = (char *)syscall(SYS_brk, 0);
  char *end = (char *)syscall(SYS_brk, start + 3 * 4096 + 17);
  printf("brk moved by %ld\n", (long)(end - start));
  memset(start, 0xab, 3 * 4096 + 17);
  printf("heap readable %d\n", start[3 * 4096 + 16] == (char)0xab);
  end = (char *)syscall(SYS_brk, start + 4096);
  printf("brk shrunk by %ld\n", (long)(start + 3 * 4096 + 17 - end));
  /* Many small and some large allocations. */
  unsigned long sum = 0;
  for (int round = 0; round < 3; round++) {
    char *blocks[200];
    for (int i = 0; i < 200; i++) {
      size_t n = (size_t)(i * 97 % 5000) + 1 + (i % 50 == 0 ? 300000 : 0);
      blocks[i] = malloc(n);
      memset(blocks[i], i, n);
      sum += (unsigned char)blocks[i][n - 1];
    }
    for (int i = 0; i < 200; i++) free(blocks[i]);
  }
  printf("malloc checksum %lu\n", sum);
  /* Anonymous mappings read as zero, keep what is written, and go away with munmap. */
  size_t len = 10 * 4096;
  unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  int zeros = 1;
  for (size_t i = 0; i < len; i += 512) zeros &= m[i] == 0;
  printf("fresh mapping is zero %d\n", zeros);
  for (size_t i = 0; i < len; i++) m[i] = (unsigned char)(i * 13);
  unsigned long s2 = 0;
  for (size_t i = 0; i < len; i++) s2 += m[i];
  printf("mapping checksum %lu\n", s2);
  /* MAP_FIXED over the middle replaces those pages with zeros. */
  unsigned char *mid = mmap(m + 4096 * 3, 4096 * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("MAP_FIXED at the address asked %d, old bytes gone %d, neighbours kept %d\n", mid == m + 4096 * 3,
         mid[5] == 0, m[4096 * 2 + 5] == (unsigned char)((4096 * 2 + 5) * 13));
  printf("munmap %d\n", munmap(m, len));
  /* Copy-on-write: a child's writes do not show in the parent. */
  int *shared = malloc(4096 * 4);
  for (int i = 0; i < 4096; i++) shared[i] = i;
  pid_t k = fork();
  if (k == 0) {
    for (int i = 0; i < 4096; i++) shared[i] = -i;
    long t = 0;
    for (int i = 0; i < 4096; i++) t += shared[i];
    printf("child sees its own writes: %ld\n", t);
    _exit(0);
  }
  int st;
  waitpid(k, &st, 0);
  long t = 0;
  for (int i = 0; i < 4096; i++) t += shared[i];
  printf("parent keeps its values: %ld\n", t);
  /* A private file mapping shows the file; writes to it stay in the mapping. */
  FILE *f = fopen("mapped.txt", "w");
  for (int i = 0; i < 1000; i++) fprintf(f, "line %d\n", i);
  fclose(f);
  int fd = open("mapped.txt", O_RDONLY);
  char *fm = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 4096);
  printf("file mapping at offset 4096 starts [%.12s]\n", fm);
  fm[0] = '#';
  char first[8] = {0};
  pread(fd, first, 1, 4096);
  printf("the file keeps [%c], the mapping has [%c]\n", first[0], fm[0]);
  /* Discarded, a private file page is the file's again; an untouched page shows what the file has now. */
  madvise(fm, 4096, MADV_DONTNEED);
  printf("after MADV_DONTNEED the mapping has [%c]\n", fm[0]);
  int wfd = open("mapped.txt", O_WRONLY);
  pwrite(wfd, "NEW", 3, 8192);
  close(wfd);
  printf("second page, first touched after the file changed: [%.5s]\n", fm + 4096);
  close(fd);
  /* A large calloc is zeroed. */
  char *z = calloc(1, 1 << 22);
  int allz = 1;
  for (int i = 0; i < 1 << 22; i += 4093) allz &= z[i] == 0;
  printf("calloc 4 MiB zero %d\n", allz);
  return 0;
}
