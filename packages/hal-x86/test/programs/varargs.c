/* A printf-like formatter written on top of va_list/va_arg/va_copy, with
 * more arguments than fit in registers (integer and SSE), plus vsnprintf. */
#include <stdio.h>
#include <stdarg.h>
#include <string.h>
#include <stdint.h>

static size_t emit_uint(char *out, unsigned long long v, unsigned base, int upper, int width, char padc) {
    char tmp[72];
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int n = 0;
    do { tmp[n++] = digits[v % base]; v /= base; } while (v);
    size_t k = 0;
    while (width-- > n) out[k++] = padc;
    while (n) out[k++] = tmp[--n];
    return k;
}

/* supports %d %u %x %X %o %b %s %c %f (fixed 6 digits, naive) %% and l/ll/z, width, 0 pad */
static size_t my_vformat(char *out, const char *fmt, va_list ap) {
    size_t k = 0;
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') { out[k++] = *p; continue; }
        p++;
        char padc = ' ';
        int width = 0, lng = 0, sz = 0;
        if (*p == '0') { padc = '0'; p++; }
        while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
        while (*p == 'l') { lng++; p++; }
        if (*p == 'z') { sz = 1; p++; }
        switch (*p) {
        case 'd': {
            long long v = sz ? (long long)va_arg(ap, size_t) : lng ? va_arg(ap, long long) : va_arg(ap, int);
            if (v < 0) { out[k++] = '-'; k += emit_uint(out + k, 0ull - (unsigned long long)v, 10, 0, width - 1, padc); }
            else k += emit_uint(out + k, (unsigned long long)v, 10, 0, width, padc);
            break;
        }
        case 'u': case 'x': case 'X': case 'o': case 'b': {
            unsigned long long v = sz ? va_arg(ap, size_t) : lng ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned);
            unsigned base = *p == 'u' ? 10 : *p == 'o' ? 8 : *p == 'b' ? 2 : 16;
            k += emit_uint(out + k, v, base, *p == 'X', width, padc);
            break;
        }
        case 's': { const char *s = va_arg(ap, const char *); size_t n = strlen(s); memcpy(out + k, s, n); k += n; break; }
        case 'c': out[k++] = (char)va_arg(ap, int); break;
        case 'f': {
            double d = va_arg(ap, double);
            if (d < 0) { out[k++] = '-'; d = -d; }
            unsigned long long ip = (unsigned long long)d;
            unsigned long long fp = (unsigned long long)((d - (double)ip) * 1e6 + 0.5);
            if (fp >= 1000000) { ip++; fp -= 1000000; }
            k += emit_uint(out + k, ip, 10, 0, 0, ' ');
            out[k++] = '.';
            k += emit_uint(out + k, fp, 10, 0, 6, '0');
            break;
        }
        case '%': out[k++] = '%'; break;
        default: out[k++] = '?'; break;
        }
    }
    out[k] = 0;
    return k;
}

static unsigned checksum;

/* formats twice through va_copy, checks both agree, prints via stdio */
static int my_printf(const char *fmt, ...) {
    char a[512], b[512];
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    size_t n1 = my_vformat(a, fmt, ap);
    size_t n2 = my_vformat(b, fmt, ap2);
    va_end(ap2);
    va_end(ap);
    if (n1 != n2 || strcmp(a, b)) { printf("va_copy mismatch\n"); return -1; }
    for (size_t i = 0; i < n1; i++) checksum = checksum * 33 + (unsigned char)a[i];
    fputs(a, stdout);
    return (int)n1;
}

/* sums a mixed list described by a type string: i=int, l=long long, d=double */
static double sum_mixed(const char *types, ...) {
    va_list ap;
    va_start(ap, types);
    double s = 0;
    for (const char *t = types; *t; t++) {
        if (*t == 'i') s += va_arg(ap, int);
        else if (*t == 'l') s += (double)va_arg(ap, long long);
        else s += va_arg(ap, double);
    }
    va_end(ap);
    return s;
}

/* checks that vsnprintf agrees with our formatter on the common subset */
static int cmp_with_libc(const char *fmt, ...) {
    char a[256], b[256];
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    my_vformat(a, fmt, ap);
    int n = vsnprintf(b, sizeof b, fmt, ap2);
    va_end(ap2);
    va_end(ap);
    int same = strcmp(a, b) == 0;
    printf("libc: [%s] (%d) %s\n", b, n, same ? "same" : "DIFFERENT");
    return same;
}

int main(void) {
    my_printf("hello %s, %d %u %x %X %o %b %c%%\n", "world", -42, 42u, 0xbeefu, 0xbeefu, 8u, 10u, '!');
    my_printf("wide: [%8d] [%08d] [%08x] [%5d]\n", 123, -123, 0xabcu, 7);
    my_printf("long: %lld %llu %llx %zd\n", -1234567890123456789ll, 18446744073709551615ull,
              0xfedcba9876543210ull, (size_t)99);
    my_printf("floats: %f %f %f %f\n", 3.14159265, -2.5, 1e10, 0.000001);
    /* 14 integer-ish args: far more than the 6 integer argument registers */
    my_printf("many: %d %d %d %d %d %d %d %d %d %d %d %d %d %d\n", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14);
    /* 10 doubles interleaved with ints: more than the 8 SSE argument registers */
    my_printf("mixed: %f %d %f %d %f %d %f %d %f %d %f %f %f %f %f\n", 1.5, 1, 2.5, 2, 3.5, 3, 4.5, 4, 5.5, 5,
              6.5, 7.5, 8.5, 9.5, 10.5);
    double s = sum_mixed("idldidldidldidldd", 1, 0.5, 10000000000ll, 0.25, 2, 0.125, 20000000000ll, 0.0625, 3,
                         1.0, 30000000000ll, 2.0, 4, 4.0, 40000000000ll, 8.0, 16.0);
    printf("sum_mixed = %.6f\n", s);
    int same = 1;
    same &= cmp_with_libc("%d|%u|%x|%X|%o|%s|%c", -7, 7u, 255u, 255u, 8u, "str", 'z');
    same &= cmp_with_libc("%lld|%llu|%08x|%5d", -9000000000ll, 9000000000ull, 0x1fu, 42);
    printf("checksum=%08x\n", checksum);
    return same ? (int)(checksum % 127) : 1;
}
