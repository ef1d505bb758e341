/* Small integer and double matrix multiplies: nested loops, multiply-add, indexed addressing. */
#include <stdio.h>

#define N 96
static long a[N][N], b[N][N], c[N][N];
static double x[N][N], y[N][N], z[N][N];

int main(void) {
  unsigned long seed = 12345;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      seed = seed * 6364136223846793005UL + 1442695040888963407UL;
      a[i][j] = (long)(seed >> 40) % 1000;
      b[i][j] = (long)(seed >> 20) % 1000;
      x[i][j] = (double)(seed >> 44) / 1024.0;
      y[i][j] = (double)(seed >> 30 & 0xffff) / 4096.0;
    }
  long check = 0;
  double dcheck = 0;
  for (int rep = 0; rep < 8; rep++) {
    for (int i = 0; i < N; i++)
      for (int j = 0; j < N; j++) {
        long s = 0;
        double d = 0;
        for (int k = 0; k < N; k++) {
          s += a[i][k] * b[k][j];
          d += x[i][k] * y[k][j];
        }
        c[i][j] = s + rep;
        z[i][j] = d;
      }
    check += c[rep][rep + 1];
    dcheck += z[rep + 2][rep];
  }
  printf("matmul check %ld %.6f\n", check, dcheck);
  return 0;
}
