/* Heap churn: many small malloc/free/realloc/calloc cycles, blocks larger
 * than 128 KiB (served by mmap in musl, and grown with mremap by realloc),
 * and the raw brk system call.  Only contents are printed, never addresses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "corpus.h"

#define SLOTS 512

static unsigned char *slot[SLOTS];
static size_t slot_len[SLOTS];
static unsigned char slot_seed[SLOTS];

/* Patterns are written and checked at a stride (plus the last byte) so that
 * multi-megabyte blocks stay cheap under emulation. */
#define STRIDE 61
static void fill(unsigned char *p, size_t n, unsigned char seed) {
    for (size_t i = 0; i < n; i += STRIDE) p[i] = (unsigned char)(seed + i * 131);
    if (n) p[n - 1] = (unsigned char)(seed ^ 0xa5);
}
static int check(const unsigned char *p, size_t n, unsigned char seed) {
    for (size_t i = 0; i + 1 < n; i += STRIDE) /* the last byte holds the marker */ if (p[i] != (unsigned char)(seed + i * 131)) return 0;
    return n == 0 || p[n - 1] == (unsigned char)(seed ^ 0xa5);
}
static int check_prefix(const unsigned char *p, size_t m, unsigned char seed) {
    for (size_t i = 0; i < m; i += STRIDE) if (p[i] != (unsigned char)(seed + i * 131)) return 0;
    return 1;
}

int main(void) {
    int bad = 0;

    /* raw brk: grow, touch, shrink (done before malloc first runs) */
    uintptr_t b0 = (uintptr_t)syscall(SYS_brk, 0);
    uintptr_t b1 = (uintptr_t)syscall(SYS_brk, b0 + 300000);
    if (b1 == b0 + 300000) {
        memset((void *)b0, 0x5a, 300000);
        unsigned sum = 0;
        for (size_t i = 0; i < 300000; i += 4096) sum += ((unsigned char *)b0)[i];
        uintptr_t b2 = (uintptr_t)syscall(SYS_brk, b0 + 100000);
        printf("brk: grew by %lu, touched sum %u, shrank to +%lu\n", (unsigned long)(b1 - b0), sum,
               (unsigned long)(b2 - b0));
    } else {
        printf("brk: could not grow\n");
        bad++;
    }

    lcg_t g;
    lcg_seed(&g, 5150);
    size_t live = 0, peak = 0;
    unsigned long ops = 0, reallocs = 0, big = 0;
    for (int round = 0; round < 8000; round++) {
        int i = (int)lcg_below(&g, SLOTS);
        uint32_t action = lcg_below(&g, 100);
        ops++;
        if (slot[i] && action < 35) {
            if (!check(slot[i], slot_len[i], slot_seed[i])) bad++;
            free(slot[i]);
            live -= slot_len[i];
            slot[i] = NULL;
        } else if (slot[i] && action < 60) {
            /* realloc: grow or shrink, keep the common prefix */
            size_t old = slot_len[i];
            size_t nl = action < 50 ? old * 2 + lcg_below(&g, 64) : old / 2 + 1;
            if (nl > 600000) nl = 1000;
            unsigned char *p = realloc(slot[i], nl);
            if (!p) { bad++; continue; }
            reallocs++;
            /* the prefix that was written before must have survived */
            if (nl >= old ? !check(p, old, slot_seed[i]) : !check_prefix(p, nl, slot_seed[i])) bad++;
            fill(p, nl, slot_seed[i]);
            slot[i] = p;
            slot_len[i] = nl;
            live += nl - old;
        } else if (!slot[i]) {
            size_t n;
            if (action < 3) { n = 140000 + lcg_below(&g, 300000); big++; } /* mmap path */
            else if (action < 30) n = 1 + lcg_below(&g, 32);
            else if (action < 80) n = 16 + lcg_below(&g, 1000);
            else n = 1000 + lcg_below(&g, 20000);
            unsigned char *p;
            if (action & 1) {
                p = calloc(n, 1);
                if (p) for (size_t k = 0; k < n; k += 97) if (p[k]) { bad++; break; }
            } else {
                p = malloc(n);
            }
            if (!p) { bad++; continue; }
            if ((uintptr_t)p % 16) bad++;
            slot_seed[i] = (unsigned char)lcg_next32(&g);
            fill(p, n, slot_seed[i]);
            slot[i] = p;
            slot_len[i] = n;
            live += n;
        }
        if (live > peak) peak = live;
    }
    unsigned long remaining = 0;
    for (int i = 0; i < SLOTS; i++)
        if (slot[i]) {
            if (!check(slot[i], slot_len[i], slot_seed[i])) bad++;
            remaining++;
            free(slot[i]);
        }
    printf("ops=%lu reallocs=%lu big=%lu remaining=%lu peak=%zu bad=%d\n", ops, reallocs, big, remaining, peak, bad);

    /* grow one block from 1 byte to 8 MiB by doubling, keeping data */
    unsigned char *p = NULL;
    size_t n = 0;
    for (size_t want = 1; want <= (8u << 20); want *= 2) {
        unsigned char *q = realloc(p, want);
        if (!q) { bad++; break; }
        if (n && !check(q, n, 7)) bad++; /* old contents intact after the move */
        fill(q, want, 7);
        p = q;
        n = want;
    }
    uint64_t h = 0;
    for (size_t i = 0; i < n; i += 4087 * STRIDE) h = mix64(h, p[i]);
    free(p);
    printf("doubling realloc to %zu bytes, hash %016llx\n", n, (unsigned long long)h);

    /* many same-size blocks freed in a different order */
    void *blocks[2000];
    for (int i = 0; i < 2000; i++) { blocks[i] = malloc(48); memset(blocks[i], i & 0xff, 48); }
    for (int i = 0; i < 2000; i += 2) free(blocks[i]);
    for (int i = 1999; i >= 1; i -= 2) { if (((unsigned char *)blocks[i])[47] != (i & 0xff)) bad++; free(blocks[i]); }

    /* big calloc must be zero */
    unsigned char *z = calloc(1, 1 << 20);
    size_t nz = 0;
    for (size_t i = 0; i < (1u << 20); i += 512) nz += z[i] != 0;
    free(z);
    printf("calloc 1 MiB non-zero samples: %zu, final bad=%d\n", nz, bad);
    return bad ? 1 : (int)(h % 90) + 5;
}
