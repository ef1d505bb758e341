/* Arbitrary precision arithmetic on 32-bit limbs: 2^1000, 150!, Fibonacci(1500)
 * in decimal, and digits of pi with a spigot algorithm. */
#include <stdio.h>
#include <string.h>
#include <stdint.h>

#define LIMBS 200

typedef struct { uint32_t d[LIMBS]; int n; } big;

static void big_set(big *a, uint32_t v) { memset(a, 0, sizeof *a); a->d[0] = v; a->n = 1; }
static void big_mul_small(big *a, uint32_t m) {
    uint64_t carry = 0;
    for (int i = 0; i < a->n; i++) {
        uint64_t t = (uint64_t)a->d[i] * m + carry;
        a->d[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry) a->d[a->n++] = (uint32_t)carry;
}
static void big_add(big *r, const big *a, const big *b) {
    int n = a->n > b->n ? a->n : b->n;
    uint64_t carry = 0;
    for (int i = 0; i < n; i++) {
        uint64_t t = (uint64_t)(i < a->n ? a->d[i] : 0) + (i < b->n ? b->d[i] : 0) + carry;
        r->d[i] = (uint32_t)t;
        carry = t >> 32;
    }
    r->n = n;
    if (carry) r->d[r->n++] = (uint32_t)carry;
}
static uint32_t big_divmod_small(big *a, uint32_t m) {
    uint64_t rem = 0;
    for (int i = a->n - 1; i >= 0; i--) {
        uint64_t cur = (rem << 32) | a->d[i];
        a->d[i] = (uint32_t)(cur / m);
        rem = cur % m;
    }
    while (a->n > 1 && a->d[a->n - 1] == 0) a->n--;
    return (uint32_t)rem;
}
static int big_to_dec(const big *a, char *out) {
    big t = *a;
    char tmp[LIMBS * 10 + 16];
    int n = 0;
    do {
        uint32_t chunk = big_divmod_small(&t, 1000000000u);
        for (int k = 0; k < 9; k++) { tmp[n++] = (char)('0' + chunk % 10); chunk /= 10; }
    } while (t.n > 1 || t.d[0]);
    while (n > 1 && tmp[n - 1] == '0') n--;
    for (int i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
    out[n] = 0;
    return n;
}
static unsigned digit_sum(const char *s) { unsigned x = 0; while (*s) x += (unsigned)(*s++ - '0'); return x; }

static void show(const char *label, const big *a) {
    static char buf[LIMBS * 10 + 16];
    int n = big_to_dec(a, buf);
    if (n > 70) printf("%s: %d digits, %.30s...%s, digit sum %u\n", label, n, buf, buf + n - 30, digit_sum(buf));
    else printf("%s: %s\n", label, buf);
}

/* Rabinowitz-Wagon spigot for pi */
static int pi_digits(int ndigits, char *out) {
    enum { MAXLEN = 10 * 400 / 3 + 2 };
    static uint32_t a[MAXLEN];
    int len = ndigits * 10 / 3 + 1;
    for (int i = 0; i < len; i++) a[i] = 2;
    int nines = 0, predigit = 0, k = 0;
    for (int j = 0; j < ndigits; j++) {
        uint32_t q = 0;
        for (int i = len; i > 0; i--) {
            uint32_t x = 10 * a[i - 1] + q * (uint32_t)i;
            a[i - 1] = x % (2 * (uint32_t)i - 1);
            q = x / (2 * (uint32_t)i - 1);
        }
        a[0] = q % 10;
        q /= 10;
        if (q == 9) nines++;
        else if (q == 10) {
            out[k++] = (char)('0' + predigit + 1);
            for (; nines; nines--) out[k++] = '0';
            predigit = 0;
        } else {
            if (j) out[k++] = (char)('0' + predigit);
            predigit = (int)q;
            for (; nines; nines--) out[k++] = '9';
        }
    }
    out[k++] = (char)('0' + predigit);
    out[k] = 0;
    return k;
}

int main(void) {
    big a, b, c;
    big_set(&a, 1);
    for (int i = 0; i < 1000; i++) big_mul_small(&a, 2);
    show("2^1000", &a);
    big_set(&a, 1);
    for (uint32_t i = 2; i <= 150; i++) big_mul_small(&a, i);
    show("150!", &a);
    big_set(&a, 0);
    big_set(&b, 1);
    for (int i = 0; i < 1500; i++) { big_add(&c, &a, &b); a = b; b = c; }
    show("fib(1500)", &a);
    big_set(&a, 1);
    for (int i = 0; i < 60; i++) big_mul_small(&a, 3486784401u); /* 3^20 */
    show("3^1200", &a);
    uint32_t r7 = big_divmod_small(&a, 7);
    printf("3^1200 mod 7 = %u\n", r7);

    static char pi[400];
    int n = pi_digits(300, pi);
    printf("pi: %c.%.60s...\n", pi[0], pi + 1);
    printf("pi digits %d, last ten %s, digit sum %u\n", n, pi + n - 10, digit_sum(pi));
    return (int)(digit_sum(pi) % 256);
}
