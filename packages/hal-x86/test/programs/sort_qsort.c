/* qsort with several comparators (ints, doubles, strings, structs) on LCG data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "corpus.h"

#define N 3000

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}
static int cmp_i32_desc(const void *a, const void *b) { return cmp_i32(b, a); }
static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}
static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}
static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct rec { uint16_t key; uint32_t seq; char tag[6]; };
static int cmp_rec(const void *a, const void *b) {
    const struct rec *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq; /* makes the sort stable */
}

static int32_t a32[N];
static uint64_t a64[N];
static double ad[N];
static char words[1500][12];
static char *wp[1500];
static struct rec recs[2000];

int main(void) {
    lcg_t g;
    lcg_seed(&g, 2024);
    int errors = 0;
    uint64_t h = 0;

    for (int i = 0; i < N; i++) a32[i] = (int32_t)lcg_next32(&g);
    qsort(a32, N, sizeof a32[0], cmp_i32);
    for (int i = 1; i < N; i++) errors += a32[i - 1] > a32[i];
    for (int i = 0; i < N; i += 97) h = mix64(h, (uint32_t)a32[i]);
    printf("i32: min=%d median=%d max=%d\n", a32[0], a32[N / 2], a32[N - 1]);
    qsort(a32, N, sizeof a32[0], cmp_i32_desc);
    for (int i = 1; i < N; i++) errors += a32[i - 1] < a32[i];

    for (int i = 0; i < N; i++) a64[i] = lcg_next64(&g) >> (i % 40);
    qsort(a64, N, sizeof a64[0], cmp_u64);
    for (int i = 1; i < N; i++) errors += a64[i - 1] > a64[i];
    printf("u64: min=%llu max=%llu\n", (unsigned long long)a64[0], (unsigned long long)a64[N - 1]);

    for (int i = 0; i < N; i++) ad[i] = ((double)(int32_t)lcg_next32(&g)) / 1024.0;
    qsort(ad, N, sizeof ad[0], cmp_double);
    for (int i = 1; i < N; i++) errors += ad[i - 1] > ad[i];
    printf("double: min=%.4f q1=%.4f max=%.4f\n", ad[0], ad[N / 4], ad[N - 1]);

    for (int i = 0; i < 1500; i++) {
        int len = 1 + (int)lcg_below(&g, 10);
        for (int j = 0; j < len; j++) words[i][j] = (char)('a' + lcg_below(&g, 6));
        words[i][len] = 0;
        wp[i] = words[i];
    }
    qsort(wp, 1500, sizeof wp[0], cmp_str);
    for (int i = 1; i < 1500; i++) errors += strcmp(wp[i - 1], wp[i]) > 0;
    printf("strings: first=%s last=%s mid=%s\n", wp[0], wp[1499], wp[750]);

    for (int i = 0; i < 2000; i++) {
        recs[i].key = (uint16_t)lcg_below(&g, 50);
        recs[i].seq = (uint32_t)i;
        snprintf(recs[i].tag, sizeof recs[i].tag, "r%d", i % 1000);
    }
    qsort(recs, 2000, sizeof recs[0], cmp_rec);
    for (int i = 1; i < 2000; i++) errors += cmp_rec(&recs[i - 1], &recs[i]) >= 0;
    for (int i = 0; i < 2000; i += 20) h = mix64(h, recs[i].key * 100000u + recs[i].seq);
    printf("records: %s %s %s\n", recs[0].tag, recs[1000].tag, recs[1999].tag);

    /* bsearch the sorted doubles for some values that exist */
    int found = 0;
    for (int i = 0; i < N; i += 13) found += bsearch(&ad[i], ad, N, sizeof ad[0], cmp_double) != NULL;
    printf("bsearch found %d, errors=%d, hash=%016llx\n", found, errors, (unsigned long long)h);
    return errors ? 1 : (int)(h % 97) + 3;
}
