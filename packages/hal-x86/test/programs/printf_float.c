/* printf of float, double and long double: %f %e %g %a (upper and lower case)
 * with many precisions and flags, special values (inf, nan, -0.0), denormals,
 * extreme exponents.  musl's formatter does its work in long double, so this
 * leans heavily on x87 arithmetic as well as on SSE conversions. */
#include <stdio.h>
#include <float.h>
#include <math.h>
#include <string.h>
#include <stdint.h>

static uint32_t H = 2166136261u;

static void out(const char *fmt, const char *s) {
    for (const char *p = s; *p; p++) H = (H ^ (unsigned char)*p) * 16777619u;
    printf("%-8s|%s|\n", fmt, s);
}

#define PD(fmt, v) do { char b_[1200]; snprintf(b_, sizeof b_, fmt, v); out(fmt, b_); } while (0)

int main(void) {
    volatile double vzero = 0.0;
    double dvals[] = {
        0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 2.5, -2.5, 0.125, 0.375, 1.0 / 3.0, 2.0 / 3.0,
        3.141592653589793, 2.718281828459045, 123456789.125, 9.999999, 99.5, 0.000123456,
        1e-5, 1e15, 1e16, 1e17, 1e21, 1e22, 1e23, 1.7976931348623157e308, 2.2250738585072014e-308,
        4.9406564584124654e-324, 2.2250738585072009e-308, 1e-310, 1e300, -1e-300,
        9007199254740993.0, 4503599627370495.5, 0x1.fffffffffffffp-1, 0x1p-1022, 0x1.8p+1,
        5e-324 * 3, 1.0 / vzero, -1.0 / vzero, vzero / vzero, -(vzero / vzero), NAN, -NAN, INFINITY,
    };
    static const char *const dfmts[] = {
        "%f", "%.0f", "%.1f", "%.2f", "%.3f", "%.10f", "%.17f", "%e", "%.0e", "%.1e", "%.3e", "%.10e",
        "%.16e", "%.20e", "%g", "%.0g", "%.1g", "%.3g", "%.10g", "%.17g", "%#g", "%#.0f", "%#.0e",
        "%a", "%.0a", "%.3a", "%.13a", "%A", "%+f", "% e", "%+.3g", "%12.4f", "%-12.4e|", "%012.3f",
        "%+015.6e", "%E", "%G", "%F", "%.40g",
    };
    const size_t nd = sizeof dvals / sizeof dvals[0], nf = sizeof dfmts / sizeof dfmts[0];
    for (size_t i = 0; i < nd; i++) {
        printf("== double %zu\n", i);
        for (size_t j = 0; j < nf; j++) {
            /* huge %f expansions are kept for only a few values */
            if (fabs(dvals[i]) > 1e30 && !isinf(dvals[i]) && strchr(dfmts[j], 'f') && i % 4) continue;
            PD(dfmts[j], dvals[i]);
        }
    }

    /* floats are promoted to double */
    float fvals[] = {0.1f, 1.0f / 3.0f, 16777217.0f, FLT_MAX, FLT_MIN, 1e-45f, -0.0f};
    for (size_t i = 0; i < sizeof fvals / sizeof fvals[0]; i++) {
        PD("%.9g", fvals[i]);
        PD("%a", fvals[i]);
        PD("%.3e", fvals[i]);
    }

    /* %.Nf of a value with a long exact binary expansion */
    for (int p = 0; p <= 60; p += 6) {
        char f[16], b[200];
        snprintf(f, sizeof f, "%%.%df", p);
        snprintf(b, sizeof b, f, 0.1);
        out(f, b);
        snprintf(b, sizeof b, f, 1e-20);
        out(f, b);
    }
    /* full exact expansion of large and tiny doubles */
    PD("%.0f", DBL_MAX);
    PD("%.1074f", 4.9406564584124654e-324);

    volatile long double lzero = 0.0L;
    long double lvals[] = {
        0.0L, -0.0L, 1.0L, 0.1L, 1.0L / 3.0L, 3.14159265358979323846264338327950288L, 1e4000L, -1e-4000L,
        LDBL_MAX, LDBL_MIN, LDBL_MIN / 8, LDBL_TRUE_MIN, LDBL_EPSILON, 18446744073709551615.0L,
        123456789012345678.25L, 1.0L / lzero, -1.0L / lzero, lzero / lzero, 1e300L * 1e300L, 2.5L,
    };
    static const char *const lfmts[] = {
        "%Lf", "%.0Lf", "%.3Lf", "%.25Lf", "%Le", "%.0Le", "%.5Le", "%.21Le", "%.30Le", "%Lg", "%.3Lg",
        "%.21Lg", "%#Lg", "%La", "%.0La", "%.5La", "%LA", "%+Le", "%20.10Lg", "%-20.3La|",
    };
    for (size_t i = 0; i < sizeof lvals / sizeof lvals[0]; i++) {
        printf("== long double %zu\n", i);
        for (size_t j = 0; j < sizeof lfmts / sizeof lfmts[0]; j++) {
            if (fabsl(lvals[i]) > 1e30L && !isinf(lvals[i]) && strchr(lfmts[j], 'f')) continue;
            PD(lfmts[j], lvals[i]);
        }
    }
    /* the exact value of LDBL_MAX: 4933 digits */
    {
        static char big[5200];
        snprintf(big, sizeof big, "%.0Lf", LDBL_MAX);
        size_t n = strlen(big);
        printf("LDBL_MAX has %zu digits, starts %.20s ends %s\n", n, big, big + n - 20);
        for (size_t k = 0; k < n; k++) H = (H ^ (unsigned char)big[k]) * 16777619u;
    }
    printf("hash=%08x\n", H);
    return (int)(H % 200) + 1;
}
