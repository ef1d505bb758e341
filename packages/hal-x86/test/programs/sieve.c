/* Sieve of Eratosthenes (byte array and bit array), prime gaps, twin primes,
 * Goldbach partitions and a segmented sieve over a high range. */
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <stdlib.h>

#define LIMIT 150000

static unsigned char comp[LIMIT + 1];
static uint64_t bits[(LIMIT + 64) / 64];

int main(void) {
    for (uint32_t i = 2; (uint64_t)i * i <= LIMIT; i++)
        if (!comp[i]) for (uint32_t j = i * i; j <= LIMIT; j += i) comp[j] = 1;
    /* bit sieve over odd numbers only */
    for (uint32_t i = 3; (uint64_t)i * i <= LIMIT; i += 2)
        if (!(bits[i / 128] >> ((i / 2) & 63) & 1))
            for (uint32_t j = i * i; j <= LIMIT; j += 2 * i) bits[j / 128] |= 1ull << ((j / 2) & 63);

    unsigned count = 0, twins = 0, maxgap = 0, gapat = 0, last = 2, mismatch = 0;
    uint64_t sum = 0;
    for (uint32_t i = 2; i <= LIMIT; i++) {
        int p = !comp[i];
        int q = i == 2 || (i & 1 && !(bits[i / 128] >> ((i / 2) & 63) & 1));
        if (p != q) mismatch++;
        if (!p) continue;
        count++;
        sum += i;
        if (i - last > maxgap) { maxgap = i - last; gapat = last; }
        if (i - last == 2) twins++;
        last = i;
    }
    printf("primes <= %d: %u, sum %llu, twin pairs %u, max gap %u after %u, mismatches %u\n", LIMIT, count,
           (unsigned long long)sum, twins, maxgap, gapat, mismatch);

    for (uint32_t n = 1000; n <= 20000; n += 4750) {
        unsigned parts = 0;
        for (uint32_t p = 2; p <= n / 2; p++) if (!comp[p] && !comp[n - p]) parts++;
        printf("goldbach(%u) = %u partitions\n", n, parts);
    }

    /* segmented sieve of [10^12, 10^12 + 200000) using the small primes */
    const uint64_t lo = 1000000000000ull, span = 100000;
    unsigned char *seg = calloc(span, 1);
    for (uint32_t p = 2; (uint64_t)p * p < lo + span; p++) {
        if (p > LIMIT) break;
        if (comp[p]) continue;
        uint64_t start = (lo + p - 1) / p * p;
        for (uint64_t m = start; m < lo + span; m += p) seg[m - lo] = 1;
    }
    unsigned segcount = 0;
    uint64_t first = 0, lastp = 0;
    for (uint64_t i = 0; i < span; i++)
        if (!seg[i]) { segcount++; if (!first) first = lo + i; lastp = lo + i; }
    free(seg);
    printf("primes in [1e12, 1e12+%llu): %u, first %llu, last %llu\n", (unsigned long long)span, segcount,
           (unsigned long long)first, (unsigned long long)lastp);
    return (int)((count + segcount) % 256);
}
