/* Matrix multiplication in double, float and int32/int64, plus a small LU
 * decomposition with partial pivoting to solve a linear system. */
#include <stdio.h>
#include <math.h>
#include <stdint.h>
#include "corpus.h"

#define N 48

static double A[N][N], B[N][N], C[N][N];
static float Af[N][N], Bf[N][N], Cf[N][N];
static int32_t Ai[N][N], Bi[N][N], Ci[N][N];
static int64_t Cl[N][N];

int main(void) {
    lcg_t g;
    lcg_seed(&g, 4242);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (double)(int32_t)lcg_next32(&g) / 2147483648.0;
            B[i][j] = (double)(int32_t)lcg_next32(&g) / 2147483648.0;
            Af[i][j] = (float)A[i][j];
            Bf[i][j] = (float)B[i][j];
            Ai[i][j] = (int32_t)lcg_below(&g, 2001) - 1000;
            Bi[i][j] = (int32_t)lcg_below(&g, 2001) - 1000;
        }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            float sf = 0;
            int32_t si = 0;
            int64_t sl = 0;
            for (int k = 0; k < N; k++) {
                s += A[i][k] * B[k][j];
                sf += Af[i][k] * Bf[k][j];
                si += Ai[i][k] * Bi[k][j];
                sl += (int64_t)Ai[i][k] * Bi[k][j] * (k + 1);
            }
            C[i][j] = s;
            Cf[i][j] = sf;
            Ci[i][j] = si;
            Cl[i][j] = sl;
        }
    double trace = 0, fro = 0;
    float tracef = 0;
    int64_t tracei = 0, sumi = 0;
    for (int i = 0; i < N; i++) {
        trace += C[i][i];
        tracef += Cf[i][i];
        tracei += Ci[i][i];
        for (int j = 0; j < N; j++) { fro += C[i][j] * C[i][j]; sumi += Ci[i][j] ^ (int32_t)Cl[i][j]; }
    }
    printf("double: trace=%.15g frobenius=%.15g C[3][7]=%a\n", trace, sqrt(fro), C[3][7]);
    printf("float: trace=%.9g Cf[10][20]=%a\n", (double)tracef, (double)Cf[10][20]);
    printf("int: trace=%lld sum=%lld Ci[0][0]=%d Cl[47][47]=%lld\n", (long long)tracei, (long long)sumi,
           Ci[0][0], (long long)Cl[N - 1][N - 1]);

    /* solve (A + 2N*I) x = b by LU with partial pivoting, check the residual */
    static double M[N][N], LU[N][N];
    double bvec[N], x[N], y[N];
    int piv[N];
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) M[i][j] = LU[i][j] = A[i][j] + (i == j ? 2.0 * N : 0.0);
        bvec[i] = (double)(i + 1);
        piv[i] = i;
    }
    for (int k = 0; k < N; k++) {
        int best = k;
        for (int i = k + 1; i < N; i++) if (fabs(LU[i][k]) > fabs(LU[best][k])) best = i;
        if (best != k) {
            for (int j = 0; j < N; j++) { double t = LU[k][j]; LU[k][j] = LU[best][j]; LU[best][j] = t; }
            int t = piv[k]; piv[k] = piv[best]; piv[best] = t;
        }
        for (int i = k + 1; i < N; i++) {
            LU[i][k] /= LU[k][k];
            for (int j = k + 1; j < N; j++) LU[i][j] -= LU[i][k] * LU[k][j];
        }
    }
    for (int i = 0; i < N; i++) {
        double s = bvec[piv[i]];
        for (int j = 0; j < i; j++) s -= LU[i][j] * y[j];
        y[i] = s;
    }
    for (int i = N - 1; i >= 0; i--) {
        double s = y[i];
        for (int j = i + 1; j < N; j++) s -= LU[i][j] * x[j];
        x[i] = s / LU[i][i];
    }
    double res = 0;
    for (int i = 0; i < N; i++) {
        double s = 0;
        for (int j = 0; j < N; j++) s += M[i][j] * x[j];
        res = fmax(res, fabs(s - bvec[i]));
    }
    printf("LU: x[0]=%.17g x[%d]=%.17g residual<1e-9: %s\n", x[0], N - 1, x[N - 1], res < 1e-9 ? "yes" : "no");
    uint64_t bits;
    __builtin_memcpy(&bits, &trace, 8);
    return (int)((bits >> 20) & 0x3f) + (res < 1e-9 ? 1 : 100);
}
