/* setjmp/longjmp: nested jump buffers, jumping out of deep recursion,
 * longjmp(…, 0) turning into 1, and values that must survive in volatile
 * locals. */
#include <stdio.h>
#include <setjmp.h>
#include "corpus.h"

static jmp_buf outer, inner;
static int depth_reached;

static void recurse(int depth, int limit) {
    volatile char pad[64];
    pad[depth & 63] = (char)depth;
    depth_reached = depth;
    if (depth == limit) longjmp(inner, depth * 10 + pad[depth & 63] % 7);
    if (depth > limit) return;
    recurse(depth + 1, limit);
    pad[0]++; /* not reached */
}

static int level2(int n) {
    int r = setjmp(inner);
    if (r == 0) {
        recurse(0, n);
        return -1;
    }
    if (n % 5 == 4) longjmp(outer, r + 1); /* escape two levels */
    return r;
}

static void zero_jump(jmp_buf env) { longjmp(env, 0); }

/* a tiny exception mechanism on top of setjmp */
static jmp_buf *handler;
static void throw_(int code) { longjmp(*handler, code); }
static int safe_div(int a, int b) { if (b == 0) throw_(42); return a / b; }

static int try_div(int a, int b, int *out) {
    jmp_buf here, *saved = handler;
    handler = &here;
    int code = setjmp(here);
    if (code == 0) *out = safe_div(a, b);
    handler = saved;
    return code;
}

int main(void) {
    volatile uint64_t h = 0; /* volatile: live across setjmp/longjmp */
    volatile int iterations = 0;
    for (volatile int n = 1; n <= 300; n += 7) {
        int r = setjmp(outer);
        if (r == 0) {
            int v = level2(n);
            printf("n=%3d returned %d (depth %d)\n", n, v, depth_reached);
            h = mix64(h, (uint64_t)v);
        } else {
            printf("n=%3d escaped to outer with %d\n", n, r);
            h = mix64(h, (uint64_t)r * 3);
        }
        iterations++;
    }

    jmp_buf z;
    volatile int zr = setjmp(z);
    if (zr == 0) zero_jump(z);
    printf("longjmp(env, 0) delivered %d\n", zr);

    int out = 0;
    volatile int bad = 0;
    for (int b = -3; b <= 3; b++) {
        int code = try_div(100, b, &out);
        if (code) printf("100/%d threw %d\n", b, code);
        else printf("100/%d = %d\n", b, out);
        bad += (b == 0) != (code == 42);
    }

    /* jump backwards many times, like a loop */
    jmp_buf loop;
    volatile int count = 0;
    volatile uint64_t acc = 1;
    if (setjmp(loop) < 1000) {
        acc = acc * 6364136223846793005ull + (uint64_t)count;
        count++;
        if (count < 5000) longjmp(loop, count % 999 + 1);
    }
    printf("loop count=%d acc=%016llx iterations=%d hash=%016llx\n", count,
           (unsigned long long)acc, iterations, (unsigned long long)h);
    return bad ? 1 : (int)((h ^ acc) % 50) + 7;
}
