/* N getppid system calls (N from argv[1]): the cost of a null system call through the library OS. */
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000;
  long sum = 0;
  for (long i = 0; i < n; i++) sum += getppid();
  return sum == n * getppid() ? 0 : 1;
}
