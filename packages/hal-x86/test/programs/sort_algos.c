/* Hand written merge sort, heap sort, insertion sort and quickselect. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "corpus.h"

#define N 12000

static void merge_sort(int64_t *a, int64_t *tmp, size_t n) {
    if (n < 2) return;
    size_t m = n / 2;
    merge_sort(a, tmp, m);
    merge_sort(a + m, tmp, n - m);
    size_t i = 0, j = m, k = 0;
    while (i < m && j < n) tmp[k++] = a[j] < a[i] ? a[j++] : a[i++];
    while (i < m) tmp[k++] = a[i++];
    while (j < n) tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

static void sift_down(uint32_t *a, size_t root, size_t n) {
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n) return;
        if (child + 1 < n && a[child + 1] > a[child]) child++;
        if (a[root] >= a[child]) return;
        uint32_t t = a[root]; a[root] = a[child]; a[child] = t;
        root = child;
    }
}

static void heap_sort(uint32_t *a, size_t n) {
    for (size_t i = n / 2; i-- > 0;) sift_down(a, i, n);
    for (size_t end = n; end-- > 1;) {
        uint32_t t = a[0]; a[0] = a[end]; a[end] = t;
        sift_down(a, 0, end);
    }
}

static void insertion_sort(int16_t *a, size_t n) {
    for (size_t i = 1; i < n; i++) {
        int16_t v = a[i];
        size_t j = i;
        while (j > 0 && a[j - 1] > v) { a[j] = a[j - 1]; j--; }
        a[j] = v;
    }
}

static uint32_t quickselect(uint32_t *a, size_t n, size_t k, lcg_t *g) {
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        uint32_t pivot = a[lo + lcg_below(g, (uint32_t)(hi - lo + 1))];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) { uint32_t t = a[i]; a[i] = a[j]; a[j] = t; i++; if (j == 0) break; j--; }
        }
        if (k <= j) hi = j; else if (k >= i) lo = i; else return a[k];
    }
    return a[k];
}

static int64_t m[N], tmp[N];
static uint32_t hp[N], qs[N];
static int16_t ins[1500];

int main(void) {
    lcg_t g;
    lcg_seed(&g, 77);
    int errors = 0;
    uint64_t h = 0;

    for (int i = 0; i < N; i++) m[i] = (int64_t)lcg_next64(&g) >> (lcg_below(&g, 50));
    merge_sort(m, tmp, N);
    for (int i = 1; i < N; i++) errors += m[i - 1] > m[i];
    for (int i = 0; i < N; i += 101) h = mix64(h, (uint64_t)m[i]);
    printf("merge: %lld .. %lld, m[N/3]=%lld\n", (long long)m[0], (long long)m[N - 1], (long long)m[N / 3]);

    for (int i = 0; i < N; i++) hp[i] = qs[i] = lcg_next32(&g) % 100000;
    heap_sort(hp, N);
    for (int i = 1; i < N; i++) errors += hp[i - 1] > hp[i];
    for (int i = 0; i < N; i += 101) h = mix64(h, hp[i]);
    printf("heap: %u .. %u, median %u\n", hp[0], hp[N - 1], hp[N / 2]);

    uint32_t med = quickselect(qs, N, N / 2, &g);
    printf("quickselect median %u %s\n", med, med == hp[N / 2] ? "matches" : "MISMATCH");
    errors += med != hp[N / 2];

    for (int i = 0; i < 1500; i++) ins[i] = (int16_t)lcg_next32(&g);
    insertion_sort(ins, 1500);
    for (int i = 1; i < 1500; i++) errors += ins[i - 1] > ins[i];
    printf("insertion: %d .. %d\n", ins[0], ins[1499]);

    printf("errors=%d hash=%016llx\n", errors, (unsigned long long)h);
    return errors ? 1 : (int)(h & 0x3f);
}
