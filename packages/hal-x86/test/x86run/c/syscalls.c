/* Exercises the system calls a libc uses, printing one checkable line per feature.
 * Integer-only on purpose: it must not depend on x87 support. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv, char **envp) {
    printf("argc=%d argv0=%s last=%s\n", argc, argv[0], argv[argc - 1]);
    int envc = 0;
    while (envp[envc]) envc++;
    printf("envc=%d X=%s\n", envc, getenv("X") ? getenv("X") : "(unset)");

    /* brk-backed small allocations and mmap-backed large ones, with realloc growth (mremap). */
    char *small = malloc(100);
    memset(small, 'a', 99);
    small[99] = 0;
    size_t big = 8u << 20;
    unsigned char *p = malloc(big);
    for (size_t i = 0; i < big; i += 4096) p[i] = (unsigned char)(i >> 12);
    p = realloc(p, 2 * big);
    unsigned sum = 0;
    for (size_t i = 0; i < big; i += 4096) sum += p[i];
    free(p);
    printf("malloc ok len=%zu sum=%u\n", strlen(small), sum);
    free(small);

    /* mmap / mprotect / munmap */
    char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return 10;
    strcpy(m + 4096, "mapped");
    int rc1 = mprotect(m, 3 * 4096, PROT_NONE);
    int rc2 = mprotect(m, 3 * 4096, PROT_READ);
    printf("mmap %s rc=%d,%d zero=%d\n", m + 4096, rc1, rc2, m[0]);
    printf("munmap rc=%d\n", munmap(m, 3 * 4096));
    void *f = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 0, 0);
    printf("file mmap %s errno=%d\n", f == MAP_FAILED ? "failed" : "worked", errno);

    /* time: monotonic and realtime clocks move forward with executed instructions */
    struct timespec a, b, r;
    clock_gettime(CLOCK_MONOTONIC, &a);
    volatile unsigned spin = 0;
    for (int i = 0; i < 1000; i++) spin += i;
    clock_gettime(CLOCK_MONOTONIC, &b);
    clock_gettime(CLOCK_REALTIME, &r);
    long long da = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
    printf("clock forward=%d realtime_after_2023=%d time_ok=%d\n", da > 0, r.tv_sec >= 1700000000, time(NULL) >= 1700000000);
    struct timespec nap = {1, 500};
    nanosleep(&nap, NULL);
    clock_gettime(CLOCK_MONOTONIC, &a);
    printf("slept=%d\n", a.tv_sec - b.tv_sec >= 1);

    /* identity and system */
    struct utsname u;
    uname(&u);
    printf("uname %s %s\n", u.sysname, u.machine);
    printf("pid=%d ppid=%d uid=%d gid=%d\n", (int)getpid(), (int)getppid(), (int)getuid(), (int)getgid());

    /* getrandom is deterministic per seed */
    unsigned char rnd[8];
    printf("getrandom=%d ", (int)getrandom(rnd, sizeof rnd, 0));
    for (int i = 0; i < 8; i++) printf("%02x", rnd[i]);
    printf("\n");

    /* standard streams look like pipes */
    struct stat st;
    fstat(1, &st);
    printf("stdout fifo=%d tty=%d\n", S_ISFIFO(st.st_mode), isatty(1));
    int fd = open("/etc/passwd", O_RDONLY);
    printf("open=%d errno=%d\n", fd, errno);

    /* stdin to the end */
    char buf[256];
    long total = 0, lines = 0;
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) {
        total += n;
        for (ssize_t i = 0; i < n; i++) lines += buf[i] == '\n';
    }
    printf("stdin bytes=%ld lines=%ld eof=%zd\n", total, lines, n);
    fflush(stdout);
    fprintf(stderr, "done\n");
    return 42;
}
