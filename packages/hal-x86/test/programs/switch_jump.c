/* Dense switch statements (compiled to jump tables at -O2), a sparse switch
 * (compiled to a compare tree), computed goto, and a table of function
 * pointers. */
#include <stdio.h>
#include <stdint.h>
#include "corpus.h"

static uint32_t dense(uint32_t op, uint32_t x) {
    switch (op) {
    case 0: return x + 1;
    case 1: return x - 3;
    case 2: return x * 5;
    case 3: return x ^ 0x5a5a5a5a;
    case 4: return x >> 3;
    case 5: return x << 2;
    case 6: return ~x;
    case 7: return x | 0x100;
    case 8: return x & 0xffff00ff;
    case 9: return x * x;
    case 10: return x / 7;
    case 11: return x % 1000;
    case 12: return (x << 7) | (x >> 25);
    case 13: return x + 0x12345;
    case 14: return x - (x >> 1);
    case 15: return 0u - x;
    case 16: return x ^ (x >> 16);
    case 17: return x * 0x9e3779b9u;
    case 18: return x + op;
    case 19: return x == 0;
    default: return x + 1000;
    }
}

static const char *sparse(int v) {
    switch (v) {
    case -1000: return "minus-thousand";
    case 1: return "one";
    case 42: return "answer";
    case 255: return "byte";
    case 1024: return "kibi";
    case 65536: return "64k";
    case 1000000: return "million";
    default: return "other";
    }
}

/* character classes via a switch on char ranges (GNU case ranges) */
static int classify(int c) {
    switch (c) {
    case '0' ... '9': return 1;
    case 'a' ... 'z': return 2;
    case 'A' ... 'Z': return 3;
    case ' ': case '\t': case '\n': return 4;
    case '!' ... '/': return 5;
    default: return 0;
    }
}

static uint32_t computed_goto(const unsigned char *ops, int n, uint32_t x) {
    static void *labels[] = {&&l_add, &&l_mul, &&l_xor, &&l_rot};
    int i = 0;
#define NEXT do { if (i >= n) return x; goto *labels[ops[i++] & 3]; } while (0)
    NEXT;
l_add: x += 0x1234567; NEXT;
l_mul: x *= 2654435761u; NEXT;
l_xor: x ^= x >> 13; NEXT;
l_rot: x = (x << 11) | (x >> 21); NEXT;
#undef NEXT
}

static uint32_t f0(uint32_t x) { return x + 7; }
static uint32_t f1(uint32_t x) { return x * 3; }
static uint32_t f2(uint32_t x) { return x ^ 0xffff; }
static uint32_t f3(uint32_t x) { return x >> 1; }
static uint32_t (*const ftab[4])(uint32_t) = {f0, f1, f2, f3};

int main(void) {
    lcg_t g;
    lcg_seed(&g, 1717);
    uint32_t x = 1;
    uint32_t hist[21] = {0};
    for (int i = 0; i < 60000; i++) {
        uint32_t op = lcg_below(&g, 21);
        hist[op]++;
        x = dense(op, x) + (uint32_t)i;
    }
    printf("dense switch: x=%08x\n", x);
    for (int i = 0; i < 21; i++) printf("%u%c", hist[i], i == 20 ? '\n' : ' ');

    static const int probes[] = {-1000, 0, 1, 41, 42, 255, 256, 1024, 65536, 999999, 1000000};
    for (unsigned i = 0; i < sizeof probes / sizeof probes[0]; i++) printf("%d:%s ", probes[i], sparse(probes[i]));
    printf("\n");

    const char *text = "Hello, World! 0123456789 the quick brown fox\tjumps OVER 42 lazy dogs.\n";
    int counts[6] = {0};
    for (int rep = 0; rep < 500; rep++)
        for (const char *p = text; *p; p++) counts[classify((unsigned char)*p)]++;
    printf("classes: other=%d digit=%d lower=%d upper=%d space=%d punct=%d\n", counts[0], counts[1],
           counts[2], counts[3], counts[4], counts[5]);

    unsigned char ops[4096];
    fill_bytes(&g, ops, sizeof ops);
    uint32_t cg = 0;
    for (int r = 0; r < 20; r++) cg = computed_goto(ops, (int)sizeof ops, cg + (uint32_t)r);
    printf("computed goto: %08x\n", cg);

    uint32_t fp = 12345;
    for (int i = 0; i < 50000; i++) fp = ftab[(fp ^ (uint32_t)i) & 3](fp) + 1;
    printf("function table: %08x\n", fp);
    return (int)((x ^ cg ^ fp) & 0x7f);
}
