/* A program whose image holds a 1 MiB table it barely reads: after a line of input, it prints the
 * table's first byte and the mark that follows the table (both are bytes of the file, not bss). */
#include <stdio.h>

static const struct {
  char table[1 << 20];
  char mark[9];
} image = {{7}, "MARK-OLD"};

int main(void) {
  char line[64];
  if (fgets(line, sizeof line, stdin) == NULL) line[0] = 0;
  printf("%d %s\n", image.table[0], image.mark);
  return 0;
}
