/* The smallest useful program: one write(2) and an exit status. */
#include <unistd.h>

int main(void) {
    write(1, "hi\n", 3);
    return 3;
}
