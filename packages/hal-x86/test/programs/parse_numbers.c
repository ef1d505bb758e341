/* Number parsing and formatting round trips: strtol/strtoul/strtoll in many
 * bases with errno on overflow, strtod/strtof/strtold of decimal and hex
 * input (musl's floatscan does exact decimal conversion), sscanf, atoi and
 * printf %.17g round trips of generated doubles. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <stdint.h>
#include <inttypes.h>
#include "corpus.h"

int main(void) {
    static const char *const ints[] = {"0", "42", "-42", "+17", "0x1F", "0X1f", "017", "0b101", "  \t 99z",
                                       "9223372036854775807", "9223372036854775808", "-9223372036854775808",
                                       "-9223372036854775809", "18446744073709551615", "18446744073709551616",
                                       "zz", "-", "0x", "2147483648", "  -0"};
    static const int bases[] = {0, 10, 16, 8, 2, 36};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        printf("%-24s", ints[i]);
        for (size_t b = 0; b < sizeof bases / sizeof bases[0]; b++) {
            char *end;
            errno = 0;
            long long v = strtoll(ints[i], &end, bases[b]);
            int e1 = errno;
            errno = 0;
            unsigned long long u = strtoull(ints[i], NULL, bases[b]);
            int e2 = errno;
            printf(" b%d:%lld/%td%s/%llu%s", bases[b], v, end - ints[i], e1 == ERANGE ? "R" : "",
                   u, e2 == ERANGE ? "R" : "");
        }
        printf(" atoi=%d strtol=%ld\n", atoi(ints[i]), strtol(ints[i], NULL, 0));
    }

    static const char *const flts[] = {
        "0", "-0", "1", "0.1", "1e23", "8.98846567431158e307", "1.7976931348623157e308", "1.8e308",
        "2.2250738585072011e-308", "4.9406564584124654e-324", "2.4703282292062327e-324",
        "2.4703282292062328e-324", "1e-400", "0x1.8p1", "0x.1p-1070", "inf", "-Infinity", "nan", "NaN(123)",
        "3.14159265358979323846264338327950288419716939937510", "123456789012345678901234567890e-10",
        "  +.5e+1xyz", "1e", "0.000000000000000000000000000000000000001e39", "9007199254740993",
        "1.00000000000000011102230246251565404236316680908203125", "7.038531e-26",
    };
    for (size_t i = 0; i < sizeof flts / sizeof flts[0]; i++) {
        char *end;
        errno = 0;
        double d = strtod(flts[i], &end);
        int e = errno;
        float f = strtof(flts[i], NULL);
        long double ld = strtold(flts[i], NULL);
        printf("%-30.30s d=%a (%td%s) f=%a ld=%La\n", flts[i], d, end - flts[i], e == ERANGE ? ",ERANGE" : "",
               (double)f, ld);
    }

    /* %.17g and %a round trips of generated doubles */
    lcg_t g;
    lcg_seed(&g, 1e9);
    int bad = 0;
    uint64_t h = 0;
    for (int i = 0; i < 250; i++) {
        uint64_t bits = lcg_next64(&g);
        if (((bits >> 52) & 0x7ff) == 0x7ff) continue;
        double d;
        memcpy(&d, &bits, 8);
        char buf[64];
        snprintf(buf, sizeof buf, "%.17g", d);
        double back = strtod(buf, NULL);
        if (memcmp(&back, &d, 8)) bad++;
        snprintf(buf, sizeof buf, "%a", d);
        back = strtod(buf, NULL);
        if (memcmp(&back, &d, 8)) bad++;
        snprintf(buf, sizeof buf, "%.6g", d);
        back = strtod(buf, NULL);
        uint64_t bb;
        memcpy(&bb, &back, 8);
        h = mix64(h, bb);
    }
    printf("round trips: bad=%d, %%.6g hash=%016llx\n", bad, (unsigned long long)h);

    int a, n;
    unsigned x;
    double dd;
    char word[16], rest[32];
    int got = sscanf("  -123 0xff 2.5e3 hello world", "%d %x %lf %15s %n%31s", &a, &x, &dd, word, &n, rest);
    printf("sscanf got %d: %d %u %g %s n=%d %s\n", got, a, x, dd, word, n, rest);
    int64_t i64;
    uint16_t u16;
    got = sscanf("-9000000000 65535", "%" SCNd64 " %" SCNu16, &i64, &u16);
    printf("sscanf64 got %d: %" PRId64 " %" PRIu16 "\n", got, i64, u16);
    return bad ? 1 : (int)(h % 64) + 60;
}
