/* Sieve of Eratosthenes over 2 million numbers, repeated: byte loads and stores, tight loops. */
#include <stdio.h>
#include <string.h>

static unsigned char composite[2000001];

int main(void) {
  unsigned long total = 0;
  for (int round = 0; round < 5; round++) {
    memset(composite, 0, sizeof composite);
    unsigned long count = 0;
    for (unsigned long i = 2; i < sizeof composite; i++) {
      if (composite[i]) continue;
      count++;
      for (unsigned long j = i * i; j < sizeof composite; j += i) composite[j] = 1;
    }
    total += count;
  }
  printf("primes below 2000001: %lu (x5 = %lu)\n", total / 5, total);
  return 0;
}
