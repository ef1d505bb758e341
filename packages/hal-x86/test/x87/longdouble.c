/*
 * Long double through musl: printf's %Lf/%Le/%La/%Lg (which format through long double arithmetic) and
 * the x87 libm functions (fsqrt, fyl2x, f2xm1, fscale, fprem, fpatan, frndint...). Every result is also
 * printed bit for bit, so a one-ulp difference shows.
 */
#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void bits(long double x) {
  unsigned char b[10];
  memcpy(b, &x, 10);
  printf(" [");
  for (int i = 9; i >= 0; i--) printf("%02x", b[i]);
  printf("]");
}

#define P(expr)                                   \
  do {                                            \
    long double r_ = (expr);                      \
    printf("%-28s %.21Lg %La", #expr, r_, r_);    \
    bits(r_);                                     \
    printf("\n");                                 \
  } while (0)

int main(int argc, char **argv) {
  (void)argv;
  /* volatile so nothing folds at compile time */
  volatile long double xs[] = {0.0L, -0.0L, 1.0L, -1.5L, 0.1L, 2.0L / 3.0L, 3.14159265358979323846L,
                               1e-5L, 123456789.125L, 1e300L, 1e-300L, 1e4000L, 1e-4000L, 7.0L,
                               0x1p-16400L, 1.0L / 0.0L, -1.0L / 0.0L};
  const int n = sizeof xs / sizeof xs[0];
  for (int i = 0; i < n; i++) {
    long double x = xs[i];
    printf("x = %Lf | %Le | %La | %.30Lg | %Lg\n", x, x, x, x, x);
    printf("    %.0Lf %.3Le %20.10Lf %-+12.4Lg %#La\n", x, x, x, x, x);
  }
  volatile long double a = 2.0L, b = 10.0L, c = 0.75L, d = -3.25L, e = 1e-3L;
  P(sqrtl(a));
  P(sqrtl(c));
  P(logl(b));
  P(logl(e));
  P(log2l(b));
  P(log10l(a));
  P(log1pl(e));
  P(expl(c));
  P(expl(d));
  P(expl(b * b));
  P(exp2l(d));
  P(expm1l(e));
  P(powl(a, c));
  P(powl(b, d));
  P(powl(d, 3.0L));
  P(powl(c, b * 100.0L));
  P(fmodl(b, c));
  P(fmodl(d, 0.3L));
  P(fmodl(1e300L, 7.0L));
  P(remainderl(b, 3.0L));
  P(atan2l(c, d));
  P(atanl(b));
  P(asinl(c));
  P(acosl(c));
  P(sinl(c));
  P(cosl(d));
  P(tanl(c));
  P(sinl(1e10L));
  P(rintl(d));
  P(floorl(d));
  P(ceill(d));
  P(truncl(d));
  P(roundl(2.5L));
  P(ldexpl(c, 1000));
  P(scalbnl(a, -16400));
  P(cbrtl(b));
  P(hypotl(a, b));
  P(tgammal(c));
  P(lgammal(b));
  P(strtold("0.1", NULL));
  P(strtold("1.18973149535723176502e+4932", NULL));
  P(strtold("3.6451995318824746025e-4951", NULL));
  printf("llrintl %lld lrintl %ld\n", llrintl(123456.5L), lrintl(-2.5L));
  fesetround(FE_UPWARD);
  P(rintl(d));
  P(sqrtl(a));
  fesetround(FE_TOWARDZERO);
  P(logl(b));
  fesetround(FE_TONEAREST);
  /* a long double accumulation, printed with every digit */
  long double s = 0;
  for (int k = 1; k <= 2000 + argc; k++) s += 1.0L / ((long double)k * k);
  printf("sum %.40Lf %La\n", s, s);
  return 0;
}
