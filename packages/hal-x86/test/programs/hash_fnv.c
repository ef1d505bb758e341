/* FNV-1 / FNV-1a (32 and 64 bit) over fixed strings and generated data. */
#include <stdio.h>
#include <string.h>
#include "corpus.h"

static uint32_t fnv1a32(const void *data, size_t n) {
    const unsigned char *p = data;
    uint32_t h = 0x811c9dc5u;
    for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 0x01000193u; }
    return h;
}

static uint64_t fnv1a64(const void *data, size_t n) {
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 0x100000001b3ull; }
    return h;
}

static uint64_t fnv1_64(const void *data, size_t n) {
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) { h *= 0x100000001b3ull; h ^= p[i]; }
    return h;
}

static unsigned char buf[128 * 1024];

int main(void) {
    static const char *const words[] = {
        "", "a", "b", "foobar", "hello, world", "The quick brown fox jumps over the lazy dog",
        "ExoV6", "\xff\xfe\x00\x01",
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t n = strlen(words[i]);
        printf("fnv1a32(\"%s\") = %08x  fnv1a64 = %016llx  fnv1_64 = %016llx\n", words[i],
               fnv1a32(words[i], n), (unsigned long long)fnv1a64(words[i], n),
               (unsigned long long)fnv1_64(words[i], n));
    }

    lcg_t g;
    lcg_seed(&g, 12345);
    fill_bytes(&g, buf, sizeof buf);
    uint32_t acc32 = 0;
    uint64_t acc64 = 0;
    /* hash every prefix length that is a multiple of ~16 KiB, plus odd tails */
    for (size_t len = 0; len <= sizeof buf; len += 16384 + 1) {
        acc32 = acc32 * 31 + fnv1a32(buf, len);
        acc64 = mix64(acc64, fnv1a64(buf + (len & 7), len - (len & 7)));
    }
    printf("prefix hashes: %08x %016llx\n", acc32, (unsigned long long)acc64);
    printf("whole buffer: %08x %016llx\n", fnv1a32(buf, sizeof buf),
           (unsigned long long)fnv1a64(buf, sizeof buf));
    return (int)(acc32 & 0x7f);
}
