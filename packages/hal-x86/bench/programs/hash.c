/* FNV-1a and a 64-bit multiply/rotate mixer over a generated buffer: 64-bit arithmetic and shifts. */
#include <stdint.h>
#include <stdio.h>

static uint8_t buf[1 << 20];

static uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v * 0x9E3779B97F4A7C15ULL;
  h = (h << 27) | (h >> 37);
  return h * 0xBF58476D1CE4E5B9ULL + 0x94D049BB133111EBULL;
}

int main(void) {
  uint32_t s = 7;
  for (unsigned i = 0; i < sizeof buf; i++) {
    s = s * 1103515245u + 12345u;
    buf[i] = (uint8_t)(s >> 16);
  }
  uint64_t fnv = 0xcbf29ce484222325ULL, m = 1;
  for (int round = 0; round < 6; round++) {
    for (unsigned i = 0; i < sizeof buf; i++) {
      fnv ^= buf[i];
      fnv *= 0x100000001b3ULL;
    }
    const uint64_t *w = (const uint64_t *)buf;
    for (unsigned i = 0; i < sizeof buf / 8; i++) m = mix(m, w[i]);
  }
  printf("fnv %016llx mix %016llx\n", (unsigned long long)fnv, (unsigned long long)m);
  return 0;
}
