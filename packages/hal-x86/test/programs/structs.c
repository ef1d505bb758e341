/* Struct copies (small ones in registers, large ones via memory and
 * rep movs), passing and returning structs by value, bit fields (signed and
 * unsigned, straddling bytes), unions for type punning, packed structs,
 * flexible array members and tables of function pointers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include "corpus.h"

struct small { int32_t a, b; };                       /* returned in rax */
struct pair { double x; int64_t y; };                 /* returned in xmm0 + rax */
struct mid { int64_t a, b, c; };                      /* returned via hidden pointer */
struct big { char name[40]; double v[20]; uint32_t tag; };

static struct small mk_small(int a, int b) { struct small s = {a, b}; return s; }
static struct pair mk_pair(double x, int64_t y) { struct pair p = {x * 2, y - 1}; return p; }
static struct mid add_mid(struct mid p, struct mid q) { struct mid r = {p.a + q.a, p.b + q.b, p.c + q.c}; return r; }
static struct big scale_big(struct big b, double k) {
    for (int i = 0; i < 20; i++) b.v[i] *= k;
    b.tag ^= 0xabcdef;
    b.name[0] = 'S';
    return b;
}

struct flags {
    unsigned ready : 1;
    unsigned mode : 3;
    signed level : 5;
    unsigned count : 12;
    unsigned long long wide : 40;
    signed tiny : 2;
};

struct __attribute__((packed)) packed_rec { uint8_t kind; uint32_t value; uint16_t extra; uint64_t big; };

union pun { double d; uint64_t u; float f[2]; uint32_t w[2]; unsigned char b[8]; };

struct vec { size_t n; int32_t data[]; };

typedef int (*binop)(int, int);
static int op_add(int a, int b) { return a + b; }
static int op_sub(int a, int b) { return a - b; }
static int op_mul(int a, int b) { return a * b; }
static int op_max(int a, int b) { return a > b ? a : b; }
struct op_entry { const char *name; binop fn; };
static const struct op_entry ops[] = {{"add", op_add}, {"sub", op_sub}, {"mul", op_mul}, {"max", op_max}};

static int apply_all(const struct op_entry *tab, size_t n, int a, int b, binop combine) {
    int r = 0;
    for (size_t i = 0; i < n; i++) r = combine(r, tab[i].fn(a, b));
    return r;
}

int main(void) {
    uint64_t h = 0;
    struct small s = mk_small(3, -4);
    struct pair p = mk_pair(1.25, 100);
    struct mid m = {1, 2, 3}, m2 = {10, 20, 30};
    for (int i = 0; i < 1000; i++) m = add_mid(m, m2);
    printf("small=%d,%d pair=%g,%lld mid=%lld,%lld,%lld\n", s.a, s.b, p.x, (long long)p.y,
           (long long)m.a, (long long)m.b, (long long)m.c);

    struct big b;
    memset(&b, 0, sizeof b);
    strcpy(b.name, "original");
    for (int i = 0; i < 20; i++) b.v[i] = i * 0.5;
    b.tag = 7;
    struct big c = b;                      /* plain struct assignment */
    for (int i = 0; i < 300; i++) c = scale_big(c, 1.001);
    struct big arr[8];
    for (int i = 0; i < 8; i++) { arr[i] = c; arr[i].tag += (uint32_t)i; }
    struct big d = arr[5];
    printf("big: b.name=%s c.name=%s c.v[19]=%.9f c.tag=%x d.tag=%x size=%zu\n", b.name, c.name, c.v[19],
           c.tag, d.tag, sizeof(struct big));

    struct flags f;
    memset(&f, 0, sizeof f);
    lcg_t g;
    lcg_seed(&g, 99);
    for (int i = 0; i < 5000; i++) {
        uint64_t r = lcg_next64(&g);
        f.ready = r & 1;
        f.mode = (r >> 1) & 7;
        f.level = (int)((r >> 4) & 31) - 16;
        f.count += (unsigned)(r >> 9) & 0xff;
        f.wide = f.wide * 3 + (r >> 20);
        f.tiny = (int)(r >> 62) - 2;
        h = mix64(h, (uint64_t)f.ready | (uint64_t)f.mode << 1 | (uint64_t)(f.level & 0xff) << 4 |
                         (uint64_t)f.count << 12 | (uint64_t)(f.tiny & 3) << 30);
        h = mix64(h, f.wide);
    }
    unsigned char raw[sizeof f];
    memcpy(raw, &f, sizeof f);
    printf("bitfields: ready=%u mode=%u level=%d count=%u wide=%llx tiny=%d size=%zu raw0=%02x hash=%016llx\n",
           f.ready, f.mode, f.level, f.count, (unsigned long long)f.wide, f.tiny, sizeof f, raw[0],
           (unsigned long long)h);

    struct packed_rec pr[5];
    for (int i = 0; i < 5; i++) {
        pr[i].kind = (uint8_t)i;
        pr[i].value = 0x01020304u * (uint32_t)(i + 1);
        pr[i].extra = (uint16_t)(0xbeef + i);
        pr[i].big = 0x1122334455667788ull >> i;
    }
    uint32_t psum = 0;
    for (int i = 0; i < 5; i++) psum += pr[i].value + pr[i].extra + (uint32_t)pr[i].big;
    unsigned char *pb = (unsigned char *)pr;
    printf("packed: size=%zu sum=%08x bytes[1..4]=%02x%02x%02x%02x\n", sizeof pr[0], psum, pb[1], pb[2], pb[3], pb[4]);

    union pun u;
    u.d = -1.5;
    printf("pun: %016llx w=%08x,%08x b7=%02x\n", (unsigned long long)u.u, u.w[0], u.w[1], u.b[7]);
    u.f[0] = 1.0f; u.f[1] = -2.0f;
    printf("pun floats: %016llx\n", (unsigned long long)u.u);

    struct vec *v = malloc(sizeof *v + 100 * sizeof(int32_t));
    v->n = 100;
    for (size_t i = 0; i < v->n; i++) v->data[i] = (int32_t)(i * i) - 2500;
    int64_t vs = 0;
    for (size_t i = 0; i < v->n; i++) vs += v->data[i];
    free(v);

    int results[4];
    for (int i = 0; i < 4; i++) results[i] = apply_all(ops, 4, 7 + i, 3 - i, ops[i].fn);
    printf("vec sum=%lld ops: %d %d %d %d (%s..%s)\n", (long long)vs, results[0], results[1], results[2],
           results[3], ops[0].name, ops[3].name);
    return (int)((h ^ psum ^ (uint64_t)vs) & 0x7f);
}
