/* Packed SSE/SSE2 operations through the baseline intrinsics (no SSE3+):
 * packed float/double arithmetic, shuffles and unpacks, integer adds with
 * and without saturation, multiplies, shifts, compares, pmovmskb, psadbw,
 * packs, min/max, conversions, and movemask-driven byte searches. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <emmintrin.h>
#include "corpus.h"

static uint64_t H;

/* Optimisation barriers: keep gcc -O2 from constant-folding the intrinsics
 * below (its folding does not always match what the hardware does). */
static inline __m128d opd(__m128d v) { __asm__("" : "+x"(v)); return v; }
static inline __m128 ops(__m128 v) { __asm__("" : "+x"(v)); return v; }
static inline __m128i opi(__m128i v) { __asm__("" : "+x"(v)); return v; }
static void acc128(__m128i v) {
    uint64_t q[2];
    _mm_storeu_si128((__m128i *)q, v);
    H = mix64(H, q[0]);
    H = mix64(H, q[1]);
}
static void print128(const char *name, __m128i v) {
    uint64_t q[2];
    _mm_storeu_si128((__m128i *)q, v);
    printf("%-10s %016llx%016llx\n", name, (unsigned long long)q[1], (unsigned long long)q[0]);
    acc128(v);
}

/* find the first byte equal to c using pcmpeqb + pmovmskb (like musl/glibc strchr) */
static long find_byte(const unsigned char *p, size_t n, unsigned char c) {
    __m128i needle = _mm_set1_epi8((char)c);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        int m = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i)), needle));
        if (m) return (long)(i + (size_t)__builtin_ctz((unsigned)m));
    }
    for (; i < n; i++) if (p[i] == c) return (long)i;
    return -1;
}

int main(void) {
    lcg_t g;
    lcg_seed(&g, 128128);
    __m128i a = _mm_set_epi64x((long long)lcg_next64(&g), (long long)lcg_next64(&g));
    __m128i b = _mm_set_epi64x((long long)lcg_next64(&g), (long long)lcg_next64(&g));
    print128("a", a);
    print128("b", b);
    print128("paddb", _mm_add_epi8(a, b));
    print128("paddw", _mm_add_epi16(a, b));
    print128("paddd", _mm_add_epi32(a, b));
    print128("paddq", _mm_add_epi64(a, b));
    print128("psubq", _mm_sub_epi64(a, b));
    print128("paddsb", _mm_adds_epi8(a, b));
    print128("paddusb", _mm_adds_epu8(a, b));
    print128("psubsw", _mm_subs_epi16(a, b));
    print128("psubusw", _mm_subs_epu16(a, b));
    print128("pmullw", _mm_mullo_epi16(a, b));
    print128("pmulhw", _mm_mulhi_epi16(a, b));
    print128("pmulhuw", _mm_mulhi_epu16(a, b));
    print128("pmuludq", _mm_mul_epu32(a, b));
    print128("pmaddwd", _mm_madd_epi16(a, b));
    print128("pavgb", _mm_avg_epu8(a, b));
    print128("psadbw", _mm_sad_epu8(a, b));
    print128("pminub", _mm_min_epu8(a, b));
    print128("pmaxsw", _mm_max_epi16(a, b));
    print128("pand", _mm_and_si128(a, b));
    print128("pandn", _mm_andnot_si128(a, b));
    print128("por", _mm_or_si128(a, b));
    print128("pxor", _mm_xor_si128(a, b));
    print128("pcmpeqb", _mm_cmpeq_epi8(a, _mm_set1_epi8((char)0x3c)));
    print128("pcmpgtw", _mm_cmpgt_epi16(a, b));
    print128("pcmpgtd", _mm_cmpgt_epi32(a, b));
    print128("psllw5", _mm_slli_epi16(a, 5));
    print128("psrad7", _mm_srai_epi32(a, 7));
    print128("psrlq33", _mm_srli_epi64(a, 33));
    print128("psllq_v", _mm_sll_epi64(a, _mm_cvtsi32_si128(13)));
    print128("psrlw_big", _mm_srl_epi16(a, _mm_cvtsi32_si128(20)));
    print128("psraw_big", _mm_sra_epi16(a, _mm_cvtsi32_si128(40)));
    print128("pslldq3", _mm_slli_si128(a, 3));
    print128("psrldq11", _mm_srli_si128(a, 11));
    print128("pshufd", _mm_shuffle_epi32(a, 0x1b));
    print128("pshuflw", _mm_shufflelo_epi16(a, 0xb1));
    print128("pshufhw", _mm_shufflehi_epi16(a, 0x4e));
    print128("punpcklbw", _mm_unpacklo_epi8(a, b));
    print128("punpckhwd", _mm_unpackhi_epi16(a, b));
    print128("punpckldq", _mm_unpacklo_epi32(a, b));
    print128("punpckhqdq", _mm_unpackhi_epi64(a, b));
    print128("packsswb", _mm_packs_epi16(a, b));
    print128("packssdw", _mm_packs_epi32(a, b));
    print128("packuswb", _mm_packus_epi16(a, b));
    printf("pmovmskb %04x pextrw %d\n", _mm_movemask_epi8(a), _mm_extract_epi16(a, 5));
    print128("pinsrw", _mm_insert_epi16(a, 0x1234, 6));

    __m128d da = opd(_mm_set_pd(1.5, -2.25)), db = opd(_mm_set_pd(1e-3, 3.0));
    __m128 fa = ops(_mm_set_ps(1.0f, -2.0f, 3.5f, 1e20f)), fb = ops(_mm_set_ps(0.5f, 4.0f, -0.0f, 1e20f));
    double d2[2];
    float f4[4];
    _mm_storeu_pd(d2, _mm_add_pd(da, db)); printf("addpd %a %a\n", d2[0], d2[1]);
    _mm_storeu_pd(d2, _mm_div_pd(da, db)); printf("divpd %a %a\n", d2[0], d2[1]);
    _mm_storeu_pd(d2, _mm_sqrt_pd(opd(_mm_set_pd(2.0, 0.25)))); printf("sqrtpd %a %a\n", d2[0], d2[1]);
    _mm_storeu_pd(d2, _mm_min_pd(da, db)); printf("minpd %a %a\n", d2[0], d2[1]);
    _mm_storeu_pd(d2, _mm_shuffle_pd(da, db, 1)); printf("shufpd %a %a\n", d2[0], d2[1]);
    _mm_storeu_pd(d2, _mm_unpackhi_pd(da, db)); printf("unpckhpd %a %a\n", d2[0], d2[1]);
    _mm_storeu_ps(f4, _mm_mul_ps(fa, fb)); printf("mulps %a %a %a %a\n", f4[0], f4[1], f4[2], f4[3]);
    _mm_storeu_ps(f4, _mm_rcp_ps(ops(_mm_set1_ps(3.0f)))); printf("rcpps(3) > 0.33: %d\n", f4[0] > 0.33f && f4[0] < 0.334f);
    _mm_storeu_ps(f4, _mm_shuffle_ps(fa, fb, 0x9c)); printf("shufps %a %a %a %a\n", f4[0], f4[1], f4[2], f4[3]);
    _mm_storeu_ps(f4, _mm_max_ps(fa, fb)); printf("maxps %a %a %a %a\n", f4[0], f4[1], f4[2], f4[3]);
    printf("cmpltpd mask %d cmpeqps mask %d movmskpd %d\n", _mm_movemask_pd(_mm_cmplt_pd(da, db)),
           _mm_movemask_ps(_mm_cmpeq_ps(fa, fb)), _mm_movemask_pd(da));
    print128("cvttps2dq", _mm_cvttps_epi32(ops(_mm_set_ps(-1.7f, 2.5f, 3e9f, -0.5f))));
    print128("cvtps2dq", _mm_cvtps_epi32(ops(_mm_set_ps(-1.5f, 2.5f, 3.5f, -0.5f))));
    print128("cvtpd2dq", _mm_cvtpd_epi32(opd(_mm_set_pd(-2.5, 1e10))));
    _mm_storeu_ps(f4, _mm_cvtepi32_ps(opi(_mm_set_epi32(-1, 16777217, 2147483647, 7))));
    printf("cvtdq2ps %a %a %a %a\n", f4[0], f4[1], f4[2], f4[3]);
    _mm_storeu_pd(d2, _mm_cvtps_pd(ops(_mm_set_ps(0, 0, 0.1f, -3.0f)))); printf("cvtps2pd %a %a\n", d2[0], d2[1]);
    printf("cvtsd2si %lld cvttsd2si %lld cvttsd2si(nan) %lld cvtsi2sd %a\n",
           (long long)_mm_cvtsd_si64(opd(_mm_set_sd(-2.5))), (long long)_mm_cvttsd_si64(opd(_mm_set_sd(-2.9))),
           (long long)_mm_cvttsd_si64(opd(_mm_set_sd(__builtin_nan("")))),
           _mm_cvtsd_f64(_mm_cvtsi64_sd(_mm_setzero_pd(), (long long)(lcg_next64(&g) | 0x7000000000000000ull))));
    printf("comisd lt %d ucomisd eq(nan) %d\n", _mm_comilt_sd(da, db), _mm_ucomieq_sd(opd(_mm_set_sd(__builtin_nan(""))), da));

    /* a loop in the style of vectorised code */
    static unsigned char buf[50000];
    fill_bytes(&g, buf, sizeof buf);
    __m128i sad = _mm_setzero_si128(), sum16 = _mm_setzero_si128();
    for (size_t i = 0; i + 16 <= sizeof buf; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(buf + i));
        sad = _mm_add_epi64(sad, _mm_sad_epu8(v, _mm_setzero_si128()));
        sum16 = _mm_add_epi16(sum16, _mm_unpacklo_epi8(v, _mm_setzero_si128()));
    }
    print128("sad-total", sad);
    print128("sum16", sum16);
    long pos = 0, found = 0;
    for (int c = 0; c < 256; c += 5) { long f = find_byte(buf + 3, sizeof buf - 3, (unsigned char)c); pos += f; found += f >= 0; }
    printf("find_byte: found %ld, position sum %ld\n", found, pos);
    printf("hash=%016llx\n", (unsigned long long)H);
    return (int)(H % 128);
}
