/* A store through a NULL pointer: SIGSEGV, exit status 128 + 11. */
#include <stdio.h>

int main(int argc, char **argv) {
    (void)argv;
    printf("before\n");
    fflush(stdout);
    volatile int *p = (volatile int *)(long)(argc - 1);
    *p = 42;
    printf("after\n");
    return 0;
}
