/* Deep and branchy recursion: Ackermann, naive Fibonacci, Towers of Hanoi,
 * mutual recursion and permutation generation. */
#include <stdio.h>
#include <stdint.h>

static unsigned long ack_calls;
static unsigned ackermann(unsigned m, unsigned n) {
    ack_calls++;
    if (m == 0) return n + 1;
    if (n == 0) return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

static uint64_t fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static uint64_t moves;
static unsigned peg_hash;
static void hanoi(int n, int from, int to, int via) {
    if (n == 0) return;
    hanoi(n - 1, from, via, to);
    moves++;
    peg_hash = peg_hash * 31 + (unsigned)(from * 3 + to);
    hanoi(n - 1, via, to, from);
}

static int is_odd(unsigned n);
static int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }
static int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }

static int perm[9];
static unsigned long perm_count, perm_sum;
static void permute(int k, int n) {
    if (k == n) {
        perm_count++;
        unsigned long v = 0;
        for (int i = 0; i < n; i++) v = v * 10 + (unsigned long)perm[i];
        perm_sum += v % 1000003;
        return;
    }
    for (int i = k; i < n; i++) {
        int t = perm[k]; perm[k] = perm[i]; perm[i] = t;
        permute(k + 1, n);
        t = perm[k]; perm[k] = perm[i]; perm[i] = t;
    }
}

/* recursion with a large frame, 2000 deep */
static uint64_t deep(int n, uint64_t seed) {
    volatile uint64_t frame[32];
    for (int i = 0; i < 32; i++) frame[i] = seed + (uint64_t)i * (uint64_t)n;
    if (n == 0) return frame[7];
    uint64_t r = deep(n - 1, frame[n & 31] * 6364136223846793005ull + 1);
    return r ^ frame[(n * 7) & 31];
}

int main(void) {
    for (unsigned m = 0; m <= 3; m++)
        for (unsigned n = 0; n <= (m == 3 ? 5u : 6u); n++) {
            ack_calls = 0;
            unsigned a = ackermann(m, n);
            printf("A(%u,%u) = %u (%lu calls)\n", m, n, a, ack_calls);
        }
    for (unsigned n = 0; n <= 24; n += 3) printf("fib(%u) = %llu\n", n, (unsigned long long)fib(n));
    hanoi(17, 1, 3, 2);
    printf("hanoi(17): %llu moves, hash %08x\n", (unsigned long long)moves, peg_hash);
    printf("is_even(10001)=%d is_odd(7777)=%d\n", is_even(10001), is_odd(7777));
    for (int i = 0; i < 8; i++) perm[i] = i + 1;
    permute(0, 8);
    printf("permutations of 8: %lu, sum %lu\n", perm_count, perm_sum);
    uint64_t d = deep(2000, 1);
    printf("deep = %016llx\n", (unsigned long long)d);
    return (int)((moves + perm_sum + d) % 256);
}
