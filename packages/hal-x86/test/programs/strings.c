/* String and memory functions at many alignments and lengths: memcpy,
 * memmove (both overlap directions), memset, memcmp, memchr, strlen,
 * strcmp/strncmp, strchr/strrchr, strstr (short and long needles: musl uses
 * the two-way algorithm), strcpy/strncpy/strcat, strspn/strcspn, strtok_r.
 * Strings ending exactly at a page followed by a PROT_NONE page check that
 * nothing reads past the terminator into the next page. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "corpus.h"

static unsigned char src[8192 + 64] __attribute__((aligned(64)));
static unsigned char dst[8192 + 64] __attribute__((aligned(64)));
static unsigned char ref[8192 + 64] __attribute__((aligned(64)));

static uint64_t H;
static void acc_buf(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i += 7) H = mix64(H, p[i]);
    if (n) H = mix64(H, p[n - 1]);
}

static void naive_move(unsigned char *d, const unsigned char *s, size_t n) {
    if (d < s) for (size_t i = 0; i < n; i++) d[i] = s[i];
    else for (size_t i = n; i-- > 0;) d[i] = s[i];
}

static int sgn(int v) { return (v > 0) - (v < 0); }

int main(void) {
    lcg_t g;
    lcg_seed(&g, 31337);
    fill_bytes(&g, src, sizeof src);
    int bad = 0;
    static const size_t lens[] = {0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 255, 256, 1000, 4095, 4096, 8000};
    static const size_t soffs[] = {0, 1, 3, 7, 8, 13, 32, 63};
    static const size_t doffs[] = {0, 1, 4, 5, 8, 15, 33};
    const size_t nl = sizeof lens / sizeof *lens;

    /* memcpy / memset / memcmp */
    for (size_t a = 0; a < sizeof soffs / sizeof *soffs; a++)
        for (size_t b = 0; b < sizeof doffs / sizeof *doffs; b++)
            for (size_t l = 0; l < nl; l++) {
                size_t n = lens[l];
                if (n > 1000 && (a + b) % 3) continue;
                memset(dst, 0xee, 8192 + 64);
                memcpy(dst + doffs[b], src + soffs[a], n);
                if (memcmp(dst + doffs[b], src + soffs[a], n) != 0) bad++;
                if (doffs[b] && dst[doffs[b] - 1] != 0xee) bad++;
                if (dst[doffs[b] + n] != 0xee) bad++;
                acc_buf(dst + doffs[b], n);
                memset(dst + doffs[b], (int)(n & 0xff), n);
                if (n && (dst[doffs[b]] != (n & 0xff) || dst[doffs[b] + n - 1] != (n & 0xff))) bad++;
                if (dst[doffs[b] + n] != 0xee) bad++;
            }
    printf("memcpy/memset: bad=%d hash=%016llx\n", bad, (unsigned long long)H);

    /* memmove with overlap in both directions vs a naive reference */
    for (size_t l = 0; l < nl; l++)
        for (int shift = -9; shift <= 9; shift += 3) {
            size_t n = lens[l];
            if (n > 4096) continue;
            memcpy(dst, src, 8192);
            memcpy(ref, src, 8192);
            size_t from = 40, to = (size_t)(40 + shift);
            memmove(dst + to, dst + from, n);
            naive_move(ref + to, ref + from, n);
            if (memcmp(dst, ref, n + 100)) bad++;
        }
    printf("memmove: bad=%d\n", bad);

    /* memcmp sign and first-difference semantics */
    int cmpsum = 0;
    for (int i = 0; i < 300; i++) {
        size_t n = 1 + lcg_below(&g, 200), at = lcg_below(&g, (uint32_t)n);
        memcpy(dst, src + 100, n);
        dst[at] ^= (unsigned char)(1 + lcg_below(&g, 255));
        int c = sgn(memcmp(src + 100, dst, n));
        int expect = src[100 + at] < dst[at] ? -1 : 1;
        if (c != expect) bad++;
        cmpsum += c * (int)at;
        if (memchr(dst, dst[at], n) > (void *)(dst + at)) bad++;
    }
    printf("memcmp: bad=%d cmpsum=%d\n", bad, cmpsum);

    /* strlen / strchr / strrchr at every alignment */
    char *s = (char *)dst;
    uint64_t lensum = 0;
    for (int off = 0; off < 16; off++)
        for (int len = 0; len < 80; len++) {
            for (int i = 0; i < len; i++) s[off + i] = (char)('a' + (i * 7 + off) % 26);
            s[off + len] = 0;
            s[off + len + 1] = 'x';
            size_t L = strlen(s + off);
            if (L != (size_t)len) bad++;
            lensum += L;
            char *c = strchr(s + off, 'q');
            char *r = strrchr(s + off, 'q');
            lensum += (c ? (uint64_t)(c - s) : 999) + (r ? (uint64_t)(r - s) * 3 : 777);
            if (strchr(s + off, 0) != s + off + len) bad++;
        }
    printf("strlen/strchr: bad=%d sum=%llu\n", bad, (unsigned long long)lensum);

    /* strcmp / strncmp */
    static const char *const words[] = {"", "a", "ab", "abc", "abd", "abcd", "b", "\x80", "\x7f", "abc\x80", "zzzzzzzzzzzzzzzzzzzzzzzzzz", "zzzzzzzzzzzzzzzzzzzzzzzzzy"};
    const int nw = (int)(sizeof words / sizeof *words);
    int grid = 0;
    for (int i = 0; i < nw; i++)
        for (int j = 0; j < nw; j++) {
            grid = grid * 3 + (sgn(strcmp(words[i], words[j])) + 1);
            grid ^= sgn(strncmp(words[i], words[j], 2)) + 7;
            grid &= 0xffffff;
        }
    printf("strcmp grid=%06x\n", grid);

    /* strstr, short and long needles */
    static char hay[20000];
    for (int i = 0; i < 19999; i++) hay[i] = "ab"[lcg_below(&g, 100) < 85];
    hay[19999] = 0;
    int found = 0;
    long possum = 0;
    for (int nl2 = 1; nl2 <= 40; nl2 += 3) {
        char needle[64];
        int start = (int)lcg_below(&g, 19000);
        memcpy(needle, hay + start, (size_t)nl2);
        needle[nl2] = 0;
        char *p = strstr(hay, needle);
        if (!p || p > hay + start) bad++;
        else { found++; possum += p - hay; }
        needle[nl2 - 1] = 'c'; /* never occurs */
        if (strstr(hay, needle)) bad++;
    }
    printf("strstr: found=%d possum=%ld bad=%d\n", found, possum, bad);

    /* copy / concatenate / span / tokenise */
    char buf[256], buf2[64];
    strcpy(buf, "alpha");
    strcat(buf, ",beta;gamma,,delta");
    strncat(buf, "epsilonXXXX", 7);
    memset(buf2, 'Z', sizeof buf2);
    strncpy(buf2, "short", 10);
    int zpad = 0;
    for (int i = 5; i < 10; i++) zpad += buf2[i] == 0;
    printf("buf=%s strspn=%zu strcspn=%zu zpad=%d tail=%c\n", buf, strspn(buf, "ahlp"),
           strcspn(buf, ";,"), zpad, buf2[10]);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",;", &save); tok; tok = strtok_r(NULL, ",;", &save)) printf("[%s]", tok);
    printf("\n");

    /* strings butting against an inaccessible page */
    long pg = sysconf(_SC_PAGESIZE);
    unsigned char *map = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) { printf("mmap failed\n"); return 2; }
    if (mprotect(map + pg, (size_t)pg, PROT_NONE)) { printf("mprotect failed\n"); return 2; }
    size_t edge_sum = 0;
    for (int len = 0; len < 40; len++) {
        char *e = (char *)map + pg - len - 1;
        memset(e, 'k', (size_t)len);
        e[len] = 0;
        edge_sum += strlen(e) + (strchr(e, 'z') == NULL) + (strrchr(e, 'k') ? 1 : 0);
        edge_sum += (size_t)strcmp(e, e) + strnlen(e, 100);
        edge_sum += memchr(e, 0, (size_t)len + 1) == e + len;
        char tmp[64];
        strcpy(tmp, e);
        edge_sum += strlen(tmp);
    }
    munmap(map, (size_t)pg * 2);
    printf("page-edge sum=%zu\n", edge_sum);
    printf("final: bad=%d hash=%016llx\n", bad, (unsigned long long)H);
    return bad ? 1 : (int)(H % 100) + 20;
}
