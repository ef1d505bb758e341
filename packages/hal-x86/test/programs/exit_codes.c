/* Exit paths: atexit handlers run in reverse order, stdio buffers are
 * flushed by exit(), output written with write(2) interleaves correctly with
 * buffered stdio, stderr is unbuffered, and the exit status comes from
 * exit()'s argument (here chosen by argv[1], default 42). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int order[8], norder;
static void h1(void) { order[norder++] = 1; printf("atexit handler 1 (registered first, runs last); order:"); for (int i = 0; i < norder; i++) printf(" %d", order[i]); printf("\n"); }
static void h2(void) { order[norder++] = 2; printf("atexit handler 2\n"); }
static void h3(void) { order[norder++] = 3; printf("atexit handler 3 (registered last, runs first)\n"); }

int main(int argc, char **argv) {
    int code = argc > 1 ? atoi(argv[1]) : 42;
    atexit(h1);
    atexit(h2);
    atexit(h3);
    printf("buffered line 1\n");
    fflush(stdout);
    static const char raw[] = "raw write(2) after an explicit fflush\n";
    write(1, raw, sizeof raw - 1);
    fprintf(stderr, "this goes to stderr\n");
    printf("buffered line 2 (no newline yet)...");
    setvbuf(stdout, NULL, _IOFBF, 0) ; /* ignored after output: must not lose data */
    printf(" done\n");
    char big[5000];
    memset(big, 'x', sizeof big - 2);
    big[sizeof big - 2] = '\n';
    big[sizeof big - 1] = 0;
    fputs(big, stdout); /* larger than the stdio buffer */
    printf("exiting with %d\n", code);
    exit(code);
}
