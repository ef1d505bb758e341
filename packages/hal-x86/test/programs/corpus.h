/*
 * Shared helpers for the ExoV6 x86-64 program corpus.
 *
 * Every program in this directory must be deterministic: it may depend only
 * on its argv, its environment and its stdin, never on addresses, time, pids
 * or uninitialised memory.  The harness runs each program natively and under
 * the emulator and compares stdout and the exit status byte for byte.
 */
#ifndef EXOV6_CORPUS_H
#define EXOV6_CORPUS_H

#include <stdint.h>
#include <stddef.h>

/* 64-bit LCG (Knuth's MMIX constants); the high bits are the useful ones. */
typedef struct { uint64_t s; } lcg_t;

static inline void lcg_seed(lcg_t *g, uint64_t seed) { g->s = seed ^ 0x9e3779b97f4a7c15ull; }

static inline uint64_t lcg_next64(lcg_t *g) {
    g->s = g->s * 6364136223846793005ull + 1442695040888963407ull;
    uint64_t x = g->s;
    /* xorshift output scrambling so that the low bits are usable too */
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 32;
    return x;
}

static inline uint32_t lcg_next32(lcg_t *g) { return (uint32_t)(lcg_next64(g) >> 32); }

/* uniform-ish value in [0, n) */
static inline uint32_t lcg_below(lcg_t *g, uint32_t n) {
    return (uint32_t)(((uint64_t)lcg_next32(g) * n) >> 32);
}

/* Order-dependent running checksum used to summarise large results. */
static inline uint64_t mix64(uint64_t h, uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

static inline void fill_bytes(lcg_t *g, unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(lcg_next64(g) >> 56);
}

#endif
