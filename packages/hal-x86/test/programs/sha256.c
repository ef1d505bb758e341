/* A small SHA-256 (FIPS 180-4) written for the corpus, checked against the
 * standard test vectors, then run over generated data in odd-sized chunks. */
#include <stdio.h>
#include <string.h>
#include "corpus.h"

typedef struct {
    uint32_t h[8];
    uint64_t len;       /* bytes hashed so far */
    unsigned char blk[64];
    size_t fill;
} sha256_ctx;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

static void compress(uint32_t h[8], const unsigned char *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
               p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t S1 = ror(e, 6) ^ ror(e, 11) ^ ror(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = hh + S1 + ch + K[i] + w[i];
        uint32_t S0 = ror(a, 2) ^ ror(a, 13) ^ ror(a, 22);
        uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = S0 + maj;
        hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

static void sha256_init(sha256_ctx *c) {
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, iv, sizeof iv);
    c->len = 0;
    c->fill = 0;
}

static void sha256_update(sha256_ctx *c, const void *data, size_t n) {
    const unsigned char *p = data;
    c->len += n;
    if (c->fill) {
        size_t take = 64 - c->fill < n ? 64 - c->fill : n;
        memcpy(c->blk + c->fill, p, take);
        c->fill += take; p += take; n -= take;
        if (c->fill < 64) return;
        compress(c->h, c->blk);
        c->fill = 0;
    }
    while (n >= 64) { compress(c->h, p); p += 64; n -= 64; }
    memcpy(c->blk, p, n);
    c->fill = n;
}

static void sha256_final(sha256_ctx *c, unsigned char out[32]) {
    uint64_t bits = c->len * 8;
    unsigned char pad[72] = {0x80};
    size_t padlen = (c->fill < 56 ? 56 : 120) - c->fill;
    unsigned char lenbuf[8];
    for (int i = 0; i < 8; i++) lenbuf[i] = (unsigned char)(bits >> (56 - 8 * i));
    sha256_update(c, pad, padlen);
    sha256_update(c, lenbuf, 8);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (unsigned char)(c->h[i] >> 24);
        out[4 * i + 1] = (unsigned char)(c->h[i] >> 16);
        out[4 * i + 2] = (unsigned char)(c->h[i] >> 8);
        out[4 * i + 3] = (unsigned char)c->h[i];
    }
}

static void hex(const unsigned char *d, char *out) {
    for (int i = 0; i < 32; i++) sprintf(out + 2 * i, "%02x", d[i]);
}

static int check(const char *msg, size_t repeat, const char *expect) {
    sha256_ctx c;
    unsigned char d[32];
    char s[65];
    sha256_init(&c);
    for (size_t i = 0; i < repeat; i++) sha256_update(&c, msg, strlen(msg));
    sha256_final(&c, d);
    hex(d, s);
    int ok = strcmp(s, expect) == 0;
    printf("%s  %s x%zu %s\n", s, strlen(msg) > 20 ? "(long msg)" : msg, repeat, ok ? "ok" : "FAIL");
    return ok;
}

static unsigned char data[40 * 1024];

int main(void) {
    int ok = 1;
    ok &= check("", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ok &= check("abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ok &= check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    ok &= check("a", 10000, "27dd1f61b867b6a0f6e9d8a41c43231de52107e53ae424de8f847b821db4b711");

    lcg_t g;
    lcg_seed(&g, 256);
    fill_bytes(&g, data, sizeof data);

    /* one-shot vs. chunked with awkward chunk sizes must agree */
    unsigned char d1[32], d2[32];
    char s[65];
    sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, data, sizeof data);
    sha256_final(&c, d1);
    sha256_init(&c);
    size_t pos = 0, step = 1;
    while (pos < sizeof data) {
        size_t n = step < sizeof data - pos ? step : sizeof data - pos;
        sha256_update(&c, data + pos, n);
        pos += n;
        step = (step * 7 + 3) % 200;
    }
    sha256_final(&c, d2);
    hex(d1, s);
    printf("sha256(40 KiB generated) = %s %s\n", s, memcmp(d1, d2, 32) ? "CHUNKED-DIFFERS" : "chunked-agrees");
    ok &= memcmp(d1, d2, 32) == 0;

    /* hash chain */
    unsigned char chain[32] = {0};
    for (int i = 0; i < 200; i++) {
        sha256_init(&c);
        sha256_update(&c, chain, 32);
        sha256_final(&c, chain);
    }
    hex(chain, s);
    printf("chain^200 = %s\n", s);
    return ok ? (d1[0] & 0x7f) : 1;
}
