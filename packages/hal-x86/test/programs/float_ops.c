/* Scalar floating point semantics: IEEE rounding of + - * / sqrt in float,
 * double and x87 long double; the x86 default NaN (sign bit set); NaN payload
 * propagation; signed zeros; denormals (no flush to zero); conversions
 * between integers (signed/unsigned, 32/64-bit) and floats; comparisons with
 * NaN; exception flags from <fenv.h> (MXCSR and the x87 status word). */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <math.h>
#include <fenv.h>
#include <float.h>
#include "corpus.h"

static uint64_t H;
static uint64_t dbits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static uint32_t fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static double bitsd(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }
static void ld_hex(long double x, char *out) {
    unsigned char b[10];
    memcpy(b, &x, 10);
    sprintf(out, "%02x%02x:%02x%02x%02x%02x%02x%02x%02x%02x", b[9], b[8], b[7], b[6], b[5], b[4], b[3], b[2], b[1], b[0]);
}

static const char *flags_str(int f) {
    static char s[64];
    s[0] = 0;
    if (f & FE_INVALID) strcat(s, "invalid ");
    if (f & FE_DIVBYZERO) strcat(s, "divbyzero ");
    if (f & FE_OVERFLOW) strcat(s, "overflow ");
    if (f & FE_UNDERFLOW) strcat(s, "underflow ");
    if (f & FE_INEXACT) strcat(s, "inexact ");
    if (!s[0]) strcpy(s, "none");
    return s;
}

int main(void) {
    volatile double z = 0.0, one = 1.0, three = 3.0, big = 1e308, tiny = 1e-308;
    volatile float fz = 0.0f, fone = 1.0f, fthree = 3.0f;
    volatile long double lz = 0.0L, lone = 1.0L, lthree = 3.0L;

    /* default NaNs produced by invalid operations */
    double n1 = z / z, n2 = sqrt(-one), n3 = (big * 10) - (big * 10), n4 = z * (1 / z);
    float fn = fz / fz;
    long double ln = lz / lz;
    char lb[40];
    ld_hex(ln, lb);
    printf("0/0=%016llx sqrt(-1)=%016llx inf-inf=%016llx 0*inf=%016llx f0/0=%08x ld0/0=%s\n",
           (unsigned long long)dbits(n1), (unsigned long long)dbits(n2), (unsigned long long)dbits(n3),
           (unsigned long long)dbits(n4), fbits(fn), lb);

    /* (NaN payload propagation between two NaN operands lives in nan_payload.c) */
    volatile double qa = bitsd(0x7ff8000000000123ull);
    printf("qa+1=%016llx -qa=%016llx fabs(-qa)=%016llx (float)qa=%08x\n", (unsigned long long)dbits(qa + one),
           (unsigned long long)dbits(-qa), (unsigned long long)dbits(fabs(-qa)), fbits((float)qa));

    /* signed zeros */
    volatile double nz = -0.0;
    printf("0+-0=%016llx -0+-0=%016llx -0*5=%016llx 1/-0=%g -0==0:%d copysign=%g 0-0=%016llx\n",
           (unsigned long long)dbits(z + nz), (unsigned long long)dbits(nz + nz), (unsigned long long)dbits(nz * 5),
           one / nz, nz == z, copysign(1.0, nz), (unsigned long long)dbits(z - z));

    /* rounding of basic operations, accumulated */
    lcg_t g;
    lcg_seed(&g, 3);
    for (int i = 0; i < 4000; i++) {
        double a = bitsd((lcg_next64(&g) & 0x3fffffffffffffffull) | 0x3000000000000000ull);
        double b = bitsd((lcg_next64(&g) & 0x3fffffffffffffffull) | 0x3000000000000000ull);
        if (i & 1) b = -b;
        H = mix64(H, dbits(a + b));
        H = mix64(H, dbits(a - b));
        H = mix64(H, dbits(a * b));
        H = mix64(H, dbits(a / b));
        H = mix64(H, dbits(sqrt(fabs(a))));
        float fa = (float)a, fb = (float)b;
        H = mix64(H, fbits(fa * fb + fa));
        H = mix64(H, fbits(fa / fb));
        long double la = a, lb2 = b;
        long double lr = la * lb2 / (la + lb2);
        H = mix64(H, dbits((double)lr));
        H = mix64(H, (uint64_t)(int64_t)(a * 1e10));
    }
    printf("rounding hash %016llx\n", (unsigned long long)H);

    /* denormals are not flushed */
    volatile double d1 = tiny / 1e10, d2 = DBL_MIN / 4;
    volatile float fd = FLT_MIN / 8;
    printf("denormals: %a %a %a prod=%a sum=%a fdenorm=%a min*0.5=%a\n", d1, d2, 4.9e-324, d1 * 1e10,
           d2 + d2, (double)fd, DBL_MIN * 0.5);

    /* conversions */
    static const double cv[] = {0.0, 0.5, -0.5, 1.5, -1.5, 2.5, 1e9, -1e9, 4294967295.9, 4294967296.0,
                                9.2233720368547748e18, 9223372036854775807.0, 1.8446744073709550e19,
                                -9.2233720368547758e18, 123.999999};
    for (size_t i = 0; i < sizeof cv / sizeof cv[0]; i++) {
        volatile double x = cv[i];
        int64_t s = (x >= -9.2233720368547758e18 && x < 9.2233720368547758e18) ? (int64_t)x : -1;
        uint64_t u = (x >= 0 && x < 1.8446744073709552e19) ? (uint64_t)x : 1;
        int32_t s32 = (x > -2147483649.0 && x < 2147483648.0) ? (int32_t)x : -1;
        uint32_t u32 = (x > -1.0 && x < 4294967296.0) ? (uint32_t)x : 1;
        printf("conv %-22.17g s64=%lld u64=%llu s32=%d u32=%u lrint=%ld llround=%lld\n", x, (long long)s,
               (unsigned long long)u, s32, u32, lrint(x > 9e18 || x < -9e18 ? 0 : x),
               llround(x > 9e18 || x < -9e18 ? 0 : x));
    }
    static const uint64_t iv[] = {0, 1, 0x7fffffffffffffffull, 0x8000000000000000ull, 0x8000000000000001ull,
                                  0xffffffffffffffffull, 0x20000000000001ull, 0x20000000000003ull, 0xfffffffffffff800ull,
                                  0xfffffffffffffc00ull, 12345678901234567ull};
    for (size_t i = 0; i < sizeof iv / sizeof iv[0]; i++) {
        volatile uint64_t v = iv[i];
        printf("u64 %llu -> double %a float %a; as s64 -> double %a float %a; long double %La\n",
               (unsigned long long)v, (double)v, (double)(float)v, (double)(int64_t)v, (double)(float)(int64_t)v,
               (long double)v);
    }
    volatile uint32_t u32v = 4294967295u;
    volatile int32_t s32v = -2147483647 - 1;
    printf("u32max->float %a ->double %a s32min->float %a\n", (double)(float)u32v, (double)u32v, (double)(float)s32v);
    volatile long double lcv = 1e19L, lneg = -2.5L, lhalf = 3.5L;
    printf("long double -> u64 %llu s64 %lld s64 %lld, (int)3.5L=%d\n", (unsigned long long)lcv,
           (long long)lneg, (long long)lhalf, (int)lhalf);

    /* comparisons with NaN through ucomisd / comisd / fucomip */
    volatile double nan = n1;
    volatile long double lnan = ln;
    int cmp = (nan < one) | (nan > one) << 1 | (nan == nan) << 2 | (nan != nan) << 3 | (nan <= one) << 4 |
              (nan >= one) << 5 | isless(nan, one) << 6 | isunordered(nan, one) << 7 | (lnan == lnan) << 8 |
              (lnan < lone) << 9 | (one < three) << 10 | (fone < fthree) << 11 | (lone < lthree) << 12;
    printf("nan compare mask %04x isnan=%d isinf=%d signbit(0/0)=%d\n", cmp, isnan(nan), isinf(one / z),
           signbit(nan) != 0);

    /* exception flags */
    feclearexcept(FE_ALL_EXCEPT);
    volatile double r = one / three;
    printf("1/3: %s\n", flags_str(fetestexcept(FE_ALL_EXCEPT)));
    feclearexcept(FE_ALL_EXCEPT);
    r = one / z;
    printf("1/0: %s\n", flags_str(fetestexcept(FE_ALL_EXCEPT)));
    feclearexcept(FE_ALL_EXCEPT);
    r = z / z;
    printf("0/0: %s\n", flags_str(fetestexcept(FE_ALL_EXCEPT)));
    feclearexcept(FE_ALL_EXCEPT);
    r = big * big;
    printf("big*big: %s\n", flags_str(fetestexcept(FE_ALL_EXCEPT)));
    feclearexcept(FE_ALL_EXCEPT);
    r = tiny * tiny;
    printf("tiny*tiny: %s\n", flags_str(fetestexcept(FE_ALL_EXCEPT)));
    feclearexcept(FE_ALL_EXCEPT);
    r = one + one;
    printf("1+1: %s\n", flags_str(fetestexcept(FE_ALL_EXCEPT)));
    feclearexcept(FE_ALL_EXCEPT);
    volatile long double lr2 = lone / lthree;
    printf("1/3L: %s\n", flags_str(fetestexcept(FE_ALL_EXCEPT)));
    feclearexcept(FE_ALL_EXCEPT);
    lr2 = lone / lz;
    printf("1/0L: %s\n", flags_str(fetestexcept(FE_ALL_EXCEPT)));
    feclearexcept(FE_ALL_EXCEPT);
    (void)r;
    (void)lr2;

    /* rounding modes for arithmetic */
    static const int modes[] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
    for (int m = 0; m < 4; m++) {
        fesetround(modes[m]);
        volatile double q = one / three, nq = -one / three;
        volatile float fq = fone / fthree;
        volatile long double lq = lone / lthree;
        char lqs[40];
        ld_hex(lq, lqs);
        volatile double mhalf = -0.5;
        printf("mode %d: 1/3=%a -1/3=%a f=%a ld=%s rint(-0.5)=%g\n", m, q, nq, (double)fq, lqs, rint(mhalf));
    }
    fesetround(FE_TONEAREST);

    /* x87 extended precision really is 64-bit mantissa */
    volatile long double eps = LDBL_EPSILON;
    printf("1+LDBL_EPSILON>1: %d, 1+DBL_EPSILON/2 as double == 1: %d, LDBL_EPSILON=%La\n",
           lone + eps > lone, (double)(one + DBL_EPSILON / 2) == 1.0, (long double)eps);
    printf("final hash %016llx\n", (unsigned long long)H);
    return (int)(H & 0x7f);
}
