/* 8/16/32/64-bit integer arithmetic: signed and unsigned division and modulo
 * (including division by powers of two and negative operands), shifts by
 * variable counts, rotate idioms, overflow builtins and bit-counting builtins
 * (which must compile for baseline x86-64: popcount becomes a libgcc call,
 * clz/ctz become bsr/bsf or rep bsf). */
#include <stdio.h>
#include <stdint.h>
#include <limits.h>
#include "corpus.h"

static uint64_t H;
#define ACC(v) (H = mix64(H, (uint64_t)(v)))

static inline uint64_t rotl64(uint64_t x, unsigned r) { return (x << (r & 63)) | (x >> (-r & 63)); }
static inline uint32_t rotr32(uint32_t x, unsigned r) { return (x >> (r & 31)) | (x << (-r & 31)); }
static inline uint16_t rotl16(uint16_t x, unsigned r) { r &= 15; return (uint16_t)((x << r) | (x >> ((16 - r) & 15))); }
static inline uint8_t rotr8(uint8_t x, unsigned r) { r &= 7; return (uint8_t)((x >> r) | (x << ((8 - r) & 7))); }

static int popcount_naive(uint64_t x) { int n = 0; while (x) { n += x & 1; x >>= 1; } return n; }

static const int64_t sval[] = {
    0, 1, -1, 2, -2, 3, -3, 7, -7, 10, -10, 100, -100, 255, -256, 65535, -65536,
    INT32_MAX, INT32_MIN, (int64_t)INT32_MAX + 1, (int64_t)INT32_MIN - 1,
    INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1, 0x123456789abcdefll, -0x123456789abcdefll,
    1000000007, -999999937,
};
#define NS (sizeof sval / sizeof sval[0])

int main(void) {
    volatile int64_t vs;       /* volatile to force real idiv/div instructions */
    volatile uint64_t vu;
    int bad = 0;

    /* signed/unsigned 64-bit division and modulo, all pairs (avoiding /0 and MIN/-1) */
    for (size_t i = 0; i < NS; i++) {
        for (size_t j = 0; j < NS; j++) {
            int64_t a = sval[i], b = sval[j];
            if (b == 0 || (a == INT64_MIN && b == -1)) continue;
            vs = b;
            int64_t q = a / vs, r = a % vs;
            if (q * b + r != a) bad++;
            uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
            vu = ub;
            ACC(q); ACC(r); ACC(ua / vu); ACC(ua % vu);
            /* 32-bit forms */
            int32_t a32 = (int32_t)a, b32 = (int32_t)b;
            if (b32 != 0 && !(a32 == INT32_MIN && b32 == -1)) {
                volatile int32_t vb32 = b32;
                ACC(a32 / vb32); ACC(a32 % vb32);
                volatile uint32_t vub32 = (uint32_t)b32;
                ACC((uint32_t)a32 / vub32); ACC((uint32_t)a32 % vub32);
            }
            /* 16 and 8 bit: promoted, but exercises movsx/movzx */
            int16_t a16 = (int16_t)a, b16 = (int16_t)b;
            if (b16 != 0) { volatile int16_t vb16 = b16; ACC((int16_t)(a16 / vb16)); ACC((int16_t)(a16 % vb16)); }
            int8_t a8 = (int8_t)a, b8 = (int8_t)b;
            if (b8 != 0) { volatile uint8_t vb8 = (uint8_t)b8; ACC((uint8_t)a8 / vb8); ACC((uint8_t)a8 % vb8); }
        }
    }
    printf("division hash %016llx bad=%d\n", (unsigned long long)H, bad);

    /* division by powers of two: constant divisors become shift+fixup sequences */
    for (size_t i = 0; i < NS; i++) {
        int64_t a = sval[i];
        if (a == INT64_MIN) continue;
        ACC(a / 2); ACC(a / 4); ACC(a / 8); ACC(a / 1024); ACC(a / 4294967296ll);
        ACC(a % 2); ACC(a % 16); ACC(a % 4294967296ll);
        ACC(a / 3); ACC(a / 7); ACC(a / 10); ACC(a / -10); ACC(a % 10); ACC(a / 1000000007);
        ACC((uint64_t)a / 3); ACC((uint64_t)a / 10); ACC((uint64_t)a % 1000);
        ACC(a >> 1); ACC(a >> 63); ACC((uint64_t)a >> 63);
        printf("%20lld /8=%lld %%8=%lld /10=%lld %%10=%lld /-3=%lld u/10=%llu\n", (long long)a,
               (long long)(a / 8), (long long)(a % 8), (long long)(a / 10), (long long)(a % 10),
               (long long)(a / -3), (unsigned long long)((uint64_t)a / 10));
    }

    /* shifts by variable counts, every count 0..63 */
    uint64_t x = 0x8badf00ddeadbeefull;
    for (unsigned s = 0; s < 64; s++) {
        volatile unsigned vs2 = s;
        ACC(x << vs2); ACC(x >> vs2); ACC((int64_t)x >> vs2);
        ACC((uint32_t)x << (vs2 & 31)); ACC((int32_t)x >> (vs2 & 31));
        ACC(rotl64(x, vs2)); ACC(rotr32((uint32_t)x, vs2)); ACC(rotl16((uint16_t)x, vs2));
        ACC(rotr8((uint8_t)x, vs2));
        /* double-precision shifts (shld/shrd idiom) */
        uint64_t hi = x, lo = ~x;
        if (s) { ACC((hi << s) | (lo >> (64 - s))); ACC((lo >> s) | (hi << (64 - s))); }
    }
    printf("shift hash %016llx\n", (unsigned long long)H);

    /* bit builtins over pseudo-random values */
    lcg_t g;
    lcg_seed(&g, 64);
    int pc_total = 0;
    for (int i = 0; i < 3000; i++) {
        uint64_t v = lcg_next64(&g) >> lcg_below(&g, 64);
        volatile uint64_t vv = v;
        int pc = __builtin_popcountll(vv);
        if (pc != popcount_naive(v)) bad++;
        pc_total += pc;
        ACC(pc);
        if (v) { ACC(__builtin_clzll(vv)); ACC(__builtin_ctzll(vv)); }
        uint32_t w = (uint32_t)v;
        if (w) { ACC(__builtin_clz(w)); ACC(__builtin_ctz(w)); }
        ACC(__builtin_popcount(w)); ACC(__builtin_parityll(vv)); ACC(__builtin_ffsll((long long)vv));
        ACC(__builtin_clrsbll((long long)vv));
        ACC(__builtin_bswap64(vv)); ACC(__builtin_bswap32(w)); ACC(__builtin_bswap16((uint16_t)w));
    }
    printf("popcount total %d, bits hash %016llx\n", pc_total, (unsigned long long)H);
    printf("clz(1)=%d ctz(1<<63)=%d popcount(~0)=%d ffs(0)=%d clrsb(-1)=%d\n", __builtin_clzll(1),
           __builtin_ctzll(1ull << 63), __builtin_popcountll(~0ull), __builtin_ffsll(0),
           __builtin_clrsbll(-1));

    /* overflow-checking builtins (jo / jc / seto) */
    int ovf = 0;
    for (size_t i = 0; i < NS; i++) {
        for (size_t j = 0; j < NS; j++) {
            int64_t r;
            uint64_t ur;
            int32_t r32;
            ovf += __builtin_add_overflow(sval[i], sval[j], &r); ACC(r);
            ovf += __builtin_sub_overflow(sval[i], sval[j], &r); ACC(r);
            ovf += __builtin_mul_overflow(sval[i], sval[j], &r); ACC(r);
            ovf += __builtin_mul_overflow((uint64_t)sval[i], (uint64_t)sval[j], &ur); ACC(ur);
            ovf += __builtin_add_overflow((uint64_t)sval[i], (uint64_t)sval[j], &ur); ACC(ur);
            ovf += __builtin_mul_overflow((int32_t)sval[i], (int32_t)sval[j], &r32); ACC(r32);
        }
    }
    printf("overflows=%d hash %016llx\n", ovf, (unsigned long long)H);

    /* mixed width conversions and comparisons (setcc / cmov / movsx) */
    int cmpsum = 0;
    for (size_t i = 0; i < NS; i++) {
        for (size_t j = 0; j < NS; j++) {
            int64_t a = sval[i], b = sval[j];
            cmpsum += (a < b) + 2 * ((uint64_t)a < (uint64_t)b) + 4 * ((int32_t)a <= (int32_t)b) +
                      8 * ((uint16_t)a > (uint16_t)b) + 16 * ((int8_t)a >= (int8_t)b);
            int64_t mx = a > b ? a : b;
            ACC(mx);
        }
    }
    printf("cmpsum=%d final %016llx\n", cmpsum, (unsigned long long)H);
    return bad ? 1 : (int)(H >> 57);
}
