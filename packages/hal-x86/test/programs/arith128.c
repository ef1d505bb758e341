/* unsigned/signed __int128: multiply, divide, modulo (libgcc __udivti3,
 * __umodti3, __divti3, __modti3), shifts, decimal printing, 64x64->128
 * multiplication (mul/imul with rdx:rax) and modular exponentiation. */
#include <stdio.h>
#include <string.h>
#include "corpus.h"

typedef unsigned __int128 u128;
typedef __int128 i128;

static char *u128_to_str(u128 v, char *buf) {
    char tmp[48];
    int n = 0;
    do { tmp[n++] = (char)('0' + (int)(v % 10)); v /= 10; } while (v);
    for (int i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
    buf[n] = 0;
    return buf;
}

static char *i128_to_str(i128 v, char *buf) {
    if (v < 0) { buf[0] = '-'; u128_to_str(-(u128)v, buf + 1); return buf; }
    return u128_to_str((u128)v, buf);
}

static void print_hex(const char *label, u128 v) {
    printf("%s=%016llx%016llx\n", label, (unsigned long long)(v >> 64), (unsigned long long)v);
}

static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m) { return (uint64_t)((u128)a * b % m); }

static uint64_t powmod(uint64_t b, uint64_t e, uint64_t m) {
    uint64_t r = 1 % m;
    b %= m;
    while (e) { if (e & 1) r = mulmod(r, b, m); b = mulmod(b, b, m); e >>= 1; }
    return r;
}

/* deterministic Miller-Rabin for 64-bit n */
static int is_prime(uint64_t n) {
    if (n < 2) return 0;
    static const uint64_t small[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37};
    for (int i = 0; i < 12; i++) if (n % small[i] == 0) return n == small[i];
    uint64_t d = n - 1; int s = 0;
    while (!(d & 1)) { d >>= 1; s++; }
    for (int i = 0; i < 12; i++) {
        uint64_t x = powmod(small[i], d, n);
        if (x == 1 || x == n - 1) continue;
        int comp = 1;
        for (int r = 1; r < s; r++) { x = mulmod(x, x, n); if (x == n - 1) { comp = 0; break; } }
        if (comp) return 0;
    }
    return 1;
}

int main(void) {
    char b1[64], b2[64], b3[64], b4[64];
    uint64_t h = 0;

    /* factorials up to 34! fit in u128 */
    u128 f = 1;
    for (int i = 1; i <= 34; i++) {
        f *= (u128)i;
        if (i >= 25) printf("%d! = %s\n", i, u128_to_str(f, b1));
    }
    print_hex("34!", f);

    /* max values and signed edge cases */
    u128 umax = ~(u128)0;
    i128 imax = (i128)(umax >> 1), imin = -imax - 1;
    printf("u128max=%s\n", u128_to_str(umax, b1));
    printf("i128max=%s\ni128min=%s\n", i128_to_str(imax, b1), i128_to_str(imin, b2));
    printf("i128min/7=%s i128min%%7=%s\n", i128_to_str(imin / 7, b1), i128_to_str(imin % 7, b2));
    printf("-1/2=%s -7/2=%s -7%%2=%s 7/-2=%s\n", i128_to_str((i128)-1 / 2, b1),
           i128_to_str((i128)-7 / 2, b2), i128_to_str((i128)-7 % 2, b3), i128_to_str((i128)7 / -2, b4));

    /* division/modulo identity on pseudo-random operands of varying widths */
    lcg_t g;
    lcg_seed(&g, 128);
    int bad = 0;
    for (int i = 0; i < 4000; i++) {
        u128 a = ((u128)lcg_next64(&g) << 64 | lcg_next64(&g)) >> lcg_below(&g, 128);
        u128 b = ((u128)lcg_next64(&g) << 64 | lcg_next64(&g)) >> lcg_below(&g, 128);
        if (b == 0) b = 1;
        volatile u128 vb = b;
        u128 q = a / vb, r = a % vb;
        if (q * b + r != a || r >= b) bad++;
        i128 sa = (i128)((i & 1) ? -a : a), sb = (i128)((i & 2) ? -b : b);
        if (sa != imin) {
            volatile i128 vsb = sb;
            i128 sq = sa / vsb, sr = sa % vsb;
            if (sq * sb + sr != sa) bad++;
            h = mix64(h, (uint64_t)sq ^ (uint64_t)(sr >> 64));
        }
        h = mix64(h, (uint64_t)q);
        h = mix64(h, (uint64_t)(r >> 64));
        unsigned s = lcg_below(&g, 128);
        volatile unsigned vs = s;
        h = mix64(h, (uint64_t)(a << vs) ^ (uint64_t)((a >> vs) >> 64) ^ (uint64_t)(sa >> vs));
    }
    printf("u128 div checks bad=%d hash=%016llx\n", bad, (unsigned long long)h);

    /* 64x64 -> 128 high halves: unsigned and signed */
    uint64_t hi_acc = 0;
    for (int i = 0; i < 2000; i++) {
        uint64_t x = lcg_next64(&g), y = lcg_next64(&g);
        u128 p = (u128)x * y;
        i128 sp = (i128)(int64_t)x * (int64_t)y;
        hi_acc = mix64(hi_acc, (uint64_t)(p >> 64));
        hi_acc = mix64(hi_acc, (uint64_t)(sp >> 64));
    }
    printf("mulhi hash=%016llx\n", (unsigned long long)hi_acc);

    /* primes just below powers of two, found with 128-bit mulmod */
    int primes = 0;
    for (int k = 40; k <= 64; k += 4) {
        uint64_t n = k == 64 ? ~0ull : (1ull << k) - 1;
        while (!is_prime(n)) n -= 2;
        primes++;
        printf("largest prime below 2^%d: %llu (2^%d-%llu)\n", k, (unsigned long long)n, k,
               (unsigned long long)((k == 64 ? 0 : (1ull << k)) - n));
    }

    /* 128-bit Fibonacci */
    u128 fa = 0, fb = 1;
    for (int i = 0; i < 180; i++) { u128 t = fa + fb; fa = fb; fb = t; }
    printf("fib(180)=%s\n", u128_to_str(fa, b1));

    /* u128 <-> double conversions (libgcc __floatuntidf / __fixunsdfti) */
    double d = (double)f;
    u128 back = (u128)1e30;
    printf("(double)34! = %.17g, (u128)1e30 = %s\n", d, u128_to_str(back, b1));
    return bad ? 1 : (int)(h % 113) + primes;
}
