/*
 * hello.c — a small, friendly program for the ExoV6 simulated x86-64 CPU.
 *
 * Build and run it under the emulator with:   node scripts/demo.mjs
 * (from packages/hal-x86).  It is an ordinary static Linux program, so it
 * runs natively too:   musl-gcc -static -O2 examples/hello.c -o hello -lm
 */
#include <stdio.h>
#include <math.h>

static int is_prime(unsigned n) {
    if (n < 2) return 0;
    for (unsigned d = 2; d * d <= n; d++)
        if (n % d == 0) return 0;
    return 1;
}

int main(int argc, char **argv) {
    printf("Hello from ExoV6's simulated x86-64 CPU!\n");
    printf("I was started as \"%s\" with %d argument%s.\n\n", argv[0], argc - 1, argc == 2 ? "" : "s");

    printf("The first 20 primes:");
    for (unsigned n = 2, found = 0; found < 20; n++)
        if (is_prime(n)) { printf(" %u", n); found++; }
    printf("\n");

    /* pi from the Nilakantha series, and sqrt(2) by Newton's method */
    double pi = 3.0, sign = 1.0;
    for (int k = 2; k < 2000; k += 2) {
        pi += sign * 4.0 / ((double)k * (k + 1) * (k + 2));
        sign = -sign;
    }
    double r = 1.0;
    for (int i = 0; i < 6; i++) r = 0.5 * (r + 2.0 / r);
    printf("pi ~ %.12f (libm says %.12f), sqrt(2) ~ %.15f\n", pi, acos(-1.0), r);

    /* a tiny Mandelbrot set in ASCII */
    printf("\n");
    const char *shade = " .:-=+*#%@";
    for (int y = 0; y < 15; y++) {
        for (int x = 0; x < 60; x++) {
            double cr = -2.2 + x * 3.0 / 60, ci = -1.2 + y * 2.4 / 15, zr = 0, zi = 0;
            int it = 0;
            while (it < 45 && zr * zr + zi * zi < 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2 * zr * zi + ci;
                zr = t;
                it++;
            }
            putchar(it == 45 ? '@' : shade[it % 9]);
        }
        putchar('\n');
    }
    printf("\nGoodbye!\n");
    return 0;
}
