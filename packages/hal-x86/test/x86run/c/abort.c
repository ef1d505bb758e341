/* abort(): the C library raises SIGABRT at itself; the exit status is 128 + 6. */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    fputs("about to abort\n", stderr);
    abort();
}
