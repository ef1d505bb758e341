/* Arguments, environment, formatted output to stdout and stderr, and an exit status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  printf("hello from pid>0: %d, argc=%d\n", getpid() > 0, argc);
  for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i > 0 ? i : 0, i > 0 ? argv[i] : "(name)");
  printf("float %.3f, long double %.5Lf, %e\n", 3.14159, 2.718281828459045L, 1e-300);
  char *p = malloc(100000);
  memset(p, 'x', 99999);
  p[99999] = 0;
  printf("strlen %zu\n", strlen(p));
  free(p);
  fprintf(stderr, "to stderr\n");
  return argc + 2;
}
