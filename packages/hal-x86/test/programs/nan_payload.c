/* NaN operand selection and payload propagation on x86-64 hardware: with two
 * NaN operands SSE returns the first source operand (quieted); with one NaN
 * operand that NaN; signalling NaNs are quieted by setting bit 51.  The x87
 * unit has its own rule (the NaN with the larger significand).  Inline asm
 * pins the operand order so the compiler cannot commute it.
 * Note: qemu-user 7.2 gets some of these cases wrong; the harness knows. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

static uint64_t dbits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static double bitsd(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }
static uint32_t fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float bitsf(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

static double addsd(double a, double b) { __asm__("addsd %1, %0" : "+x"(a) : "x"(b)); return a; }
static double mulsd(double a, double b) { __asm__("mulsd %1, %0" : "+x"(a) : "x"(b)); return a; }
static double subsd(double a, double b) { __asm__("subsd %1, %0" : "+x"(a) : "x"(b)); return a; }
static double divsd(double a, double b) { __asm__("divsd %1, %0" : "+x"(a) : "x"(b)); return a; }
static double minsd(double a, double b) { __asm__("minsd %1, %0" : "+x"(a) : "x"(b)); return a; }
static double maxsd(double a, double b) { __asm__("maxsd %1, %0" : "+x"(a) : "x"(b)); return a; }
static float addss(float a, float b) { __asm__("addss %1, %0" : "+x"(a) : "x"(b)); return a; }

static long double x87_add(long double a, long double b) { return a + b; }

int main(void) {
    static const uint64_t vals[] = {
        0x7ff8000000000123ull, /* qNaN, small payload */
        0xfff8000000000456ull, /* negative qNaN */
        0x7ff0000000000789ull, /* sNaN */
        0x7ffc000000000000ull, /* qNaN with a high payload bit */
        0x3ff0000000000000ull, /* 1.0 */
        0x0000000000000000ull, /* +0 */
        0x8000000000000000ull, /* -0 */
        0x7ff0000000000000ull, /* +inf */
    };
    const int n = (int)(sizeof vals / sizeof vals[0]);
    unsigned h = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double a = bitsd(vals[i]), b = bitsd(vals[j]);
            uint64_t r[6] = {dbits(addsd(a, b)), dbits(mulsd(a, b)), dbits(subsd(a, b)), dbits(divsd(a, b)),
                             dbits(minsd(a, b)), dbits(maxsd(a, b))};
            printf("%d,%d: add=%016llx mul=%016llx sub=%016llx div=%016llx min=%016llx max=%016llx\n", i, j,
                   (unsigned long long)r[0], (unsigned long long)r[1], (unsigned long long)r[2],
                   (unsigned long long)r[3], (unsigned long long)r[4], (unsigned long long)r[5]);
            for (int k = 0; k < 6; k++) h = h * 31 + (unsigned)(r[k] ^ (r[k] >> 32));
        }
    float fa = bitsf(0x7fc00123u), fb = bitsf(0xffc00456u), fs = bitsf(0x7f800001u);
    printf("float: a+b=%08x b+a=%08x s+1=%08x 1+s=%08x\n", fbits(addss(fa, fb)), fbits(addss(fb, fa)),
           fbits(addss(fs, 1.0f)), fbits(addss(1.0f, fs)));
    /* x87: build NaNs with different significands */
    long double la, lb;
    unsigned char ba[16] = {0}, bb[16] = {0};
    uint64_t ma = 0xc000000000000123ull, mb = 0xc000000000000456ull;
    memcpy(ba, &ma, 8); ba[8] = 0xff; ba[9] = 0x7f;
    memcpy(bb, &mb, 8); bb[8] = 0xff; bb[9] = 0xff;
    memcpy(&la, ba, 10);
    memcpy(&lb, bb, 10);
    long double lr1 = x87_add(la, lb), lr2 = x87_add(lb, la);
    unsigned char o1[16] = {0}, o2[16] = {0};
    memcpy(o1, &lr1, 10);
    memcpy(o2, &lr2, 10);
    printf("x87: a+b=%02x%02x:%016llx b+a=%02x%02x:%016llx\n", o1[9], o1[8], (unsigned long long)*(uint64_t *)o1,
           o2[9], o2[8], (unsigned long long)*(uint64_t *)o2);
    printf("hash=%08x\n", h);
    return (int)(h % 100) + 1;
}
