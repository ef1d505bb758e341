/* Formatting integers and doubles with snprintf: libc's printf core, division by constants, x87 for %Lf-free paths. */
#include <stdio.h>
#include <string.h>

int main(void) {
  char line[128];
  unsigned long total = 0;
  for (int i = 0; i < 60000; i++) {
    int n = snprintf(line, sizeof line, "%d %08x %lu %s %.3f|", i, i * 2654435761u, (unsigned long)i * 1000003UL,
                     (i & 1) ? "odd" : "even", i / 7.0);
    total += (unsigned long)n + (unsigned char)line[n / 2];
  }
  printf("snprintf total %lu\n", total);
  return 0;
}
