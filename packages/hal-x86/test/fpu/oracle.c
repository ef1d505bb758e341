/*
 * x87 oracle for the ExoV6 FPU tests: runs each requested operation on the
 * host CPU's x87 unit and prints the complete resulting FPU state.
 *
 * Input, one operation per line:   OP CW A B
 *   OP  operation name (see the table at the bottom)
 *   CW  control word, 4 hex digits
 *   A,B operands as big-endian hex text ("-" when unused).  80-bit operands
 *       are 20 hex digits (sign+exponent first); memory operands of loads are
 *       written with their own width (4/8/16 hex digits for 16/32/64 bits,
 *       20 for packed BCD).
 *   For binary register operations A is loaded into ST(0) and B into ST(1);
 *   for operations with a memory operand (fadds, faddl, fiaddl, ...) A is
 *   ST(0) and B the memory operand.
 *
 * Output, one line per input line:  SW N S0,S1,... MEM FLAGS
 *   SW     status word right after the operation (4 hex digits)
 *   N      number of non-empty stack registers afterwards
 *   S0..   ST(0), ST(1), ... as 20 hex digits each ("-" if the stack is empty)
 *   MEM    memory written by a store, big-endian hex ("-" if none)
 *   FLAGS  ZF PF CF after fcomi/fucomi as three digits ("-" otherwise)
 *
 * Each operation starts from FNINIT, loads its operands with the default
 * control word, loads CW, executes, and captures the state with FNSAVE (which
 * is non-waiting, so unmasked exceptions never trap here).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct { unsigned char b[16]; } blob;
typedef struct { unsigned char b[108]; } fsave_t;

static blob A, B, MEM;
static uint16_t CW;
static fsave_t S;
static unsigned char ZF, PF, CF;
static int memsize;

#define T10(x) (*(unsigned char(*)[10])(x).b)
#define U16(x) (*(uint16_t *)(x).b)
#define U32(x) (*(uint32_t *)(x).b)
#define U64(x) (*(uint64_t *)(x).b)

/* ST(0)=A, ST(1)=B */
#define BIN(name, insn)                                                       \
  static void op_##name(void) {                                               \
    __asm__ volatile("fninit\n\tfldt %1\n\tfldt %2\n\tfldcw %3\n\t" insn      \
                     "\n\tfnsave %0"                                          \
                     : "=m"(S)                                                \
                     : "m"(T10(B)), "m"(T10(A)), "m"(CW)                      \
                     : "memory");                                             \
  }
/* ST(0)=A */
#define UN(name, insn)                                                        \
  static void op_##name(void) {                                               \
    __asm__ volatile("fninit\n\tfldt %1\n\tfldcw %2\n\t" insn "\n\tfnsave %0" \
                     : "=m"(S)                                                \
                     : "m"(T10(A)), "m"(CW)                                   \
                     : "memory");                                             \
  }
/* no operand */
#define CONST(name, insn)                                                     \
  static void op_##name(void) {                                               \
    __asm__ volatile("fninit\n\tfldcw %1\n\t" insn "\n\tfnsave %0"            \
                     : "=m"(S)                                                \
                     : "m"(CW)                                                \
                     : "memory");                                             \
  }
/* load from memory operand A of the given C type */
#define LOAD(name, insn, ACC)                                                 \
  static void op_##name(void) {                                               \
    __asm__ volatile("fninit\n\tfldcw %2\n\t" insn " %1\n\tfnsave %0"         \
                     : "=m"(S)                                                \
                     : "m"(ACC(A)), "m"(CW)                                   \
                     : "memory");                                             \
  }
/* store ST(0)=A to memory */
#define STORE(name, insn, ACC, size)                                          \
  static void op_##name(void) {                                               \
    memsize = size;                                                           \
    __asm__ volatile("fninit\n\tfldt %2\n\tfldcw %3\n\t" insn                 \
                     " %1\n\tfnsave %0"                                       \
                     : "=m"(S), "=m"(ACC(MEM))                                \
                     : "m"(T10(A)), "m"(CW)                                   \
                     : "memory");                                             \
  }
#define CMPI(name, insn)                                                      \
  static void op_##name(void) {                                               \
    __asm__ volatile("fninit\n\tfldt %4\n\tfldt %5\n\tfldcw %6\n\t" insn      \
                     "\n\tsetz %1\n\tsetp %2\n\tsetc %3\n\tfnsave %0"         \
                     : "=m"(S), "=qm"(ZF), "=qm"(PF), "=qm"(CF)               \
                     : "m"(T10(B)), "m"(T10(A)), "m"(CW)                      \
                     : "memory", "cc");                                       \
  }

/* ST(0)=A combined with memory operand B of the given C type */
#define MEMOP(name, insn, ACC)                                                \
  static void op_##name(void) {                                               \
    __asm__ volatile("fninit\n\tfldt %1\n\tfldcw %3\n\t" insn " %2\n\tfnsave %0" \
                     : "=m"(S)                                                \
                     : "m"(T10(A)), "m"(ACC(B)), "m"(CW)                      \
                     : "memory");                                             \
  }

MEMOP(fadds, "fadds", U32)
MEMOP(faddl, "faddl", U64)
MEMOP(fsubrl, "fsubrl", U64)
MEMOP(fmuls, "fmuls", U32)
MEMOP(fmull, "fmull", U64)
MEMOP(fdivl, "fdivl", U64)
MEMOP(fcompl, "fcompl", U64)
MEMOP(fiaddl, "fiaddl", U32)
MEMOP(fimuls, "fimuls", U16)
MEMOP(fidivrl, "fidivrl", U32)
BIN(fadd, "fadd %%st(1), %%st")
BIN(fsub, "fsub %%st(1), %%st")
BIN(fmul, "fmul %%st(1), %%st")
BIN(fdiv, "fdiv %%st(1), %%st")
BIN(fprem, "fprem")
BIN(fprem1, "fprem1")
BIN(fscale, "fscale")
BIN(fyl2x, "fyl2x")
BIN(fyl2xp1, "fyl2xp1")
BIN(fpatan, "fpatan")
BIN(fcom, "fcom %%st(1)")
BIN(fucom, "fucom %%st(1)")
CMPI(fcomi, "fcomi %%st(1), %%st")
CMPI(fucomi, "fucomi %%st(1), %%st")
UN(fsqrt, "fsqrt")
UN(frndint, "frndint")
UN(fxtract, "fxtract")
UN(fabs, "fabs")
UN(fchs, "fchs")
UN(ftst, "ftst")
UN(fxam, "fxam")
UN(f2xm1, "f2xm1")
UN(fsin, "fsin")
UN(fcos, "fcos")
UN(fptan, "fptan")
UN(fsincos, "fsincos")
CONST(fld1, "fld1")
CONST(fldz, "fldz")
CONST(fldpi, "fldpi")
CONST(fldl2e, "fldl2e")
CONST(fldl2t, "fldl2t")
CONST(fldlg2, "fldlg2")
CONST(fldln2, "fldln2")
LOAD(flds, "flds", U32)
LOAD(fldl, "fldl", U64)
LOAD(filds, "filds", U16)
LOAD(fildl, "fildl", U32)
LOAD(fildll, "fildll", U64)
LOAD(fbld, "fbld", T10)
STORE(fsts, "fsts", U32, 4)
STORE(fstl, "fstl", U64, 8)
STORE(fistps, "fistps", U16, 2)
STORE(fistpl, "fistpl", U32, 4)
STORE(fistpll, "fistpll", U64, 8)
STORE(fisttps, "fisttps", U16, 2)
STORE(fisttpl, "fisttpl", U32, 4)
STORE(fisttpll, "fisttpll", U64, 8)
STORE(fbstp, "fbstp", T10, 10)

struct entry { const char *name; void (*fn)(void); int cmpi; };
#define E(n) {#n, op_##n, 0}
#define EC(n) {#n, op_##n, 1}
static const struct entry table[] = {
  E(fadds), E(faddl), E(fsubrl), E(fmuls), E(fmull), E(fdivl), E(fcompl),
  E(fiaddl), E(fimuls), E(fidivrl),
  E(fadd), E(fsub), E(fmul), E(fdiv), E(fprem), E(fprem1), E(fscale),
  E(fyl2x), E(fyl2xp1), E(fpatan), E(fcom), E(fucom), EC(fcomi), EC(fucomi),
  E(fsqrt), E(frndint), E(fxtract), E(fabs), E(fchs), E(ftst), E(fxam),
  E(f2xm1), E(fsin), E(fcos), E(fptan), E(fsincos),
  E(fld1), E(fldz), E(fldpi), E(fldl2e), E(fldl2t), E(fldlg2), E(fldln2),
  E(flds), E(fldl), E(filds), E(fildl), E(fildll), E(fbld),
  E(fsts), E(fstl), E(fistps), E(fistpl), E(fistpll),
  E(fisttps), E(fisttpl), E(fisttpll), E(fbstp),
};

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* big-endian hex text -> little-endian bytes */
static int parse_hex(const char *s, blob *out) {
  memset(out, 0, sizeof *out);
  if (strcmp(s, "-") == 0) return 0;
  size_t n = strlen(s);
  if (n % 2 || n > 32) return -1;
  size_t nb = n / 2;
  for (size_t i = 0; i < nb; i++) {
    int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return -1;
    out->b[nb - 1 - i] = (unsigned char)(hi * 16 + lo);
  }
  return 0;
}

static void print_be(const unsigned char *p, int n) {
  for (int i = n - 1; i >= 0; i--) printf("%02X", p[i]);
}

int main(void) {
  char line[256], op[32], cws[16], as[64], bs[64];
  while (fgets(line, sizeof line, stdin)) {
    if (sscanf(line, "%31s %15s %63s %63s", op, cws, as, bs) != 4) {
      if (line[0] == '\n' || line[0] == 0) continue;
      printf("ERR parse\n");
      continue;
    }
    const struct entry *e = NULL;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
      if (strcmp(table[i].name, op) == 0) e = &table[i];
    unsigned cwv;
    if (!e || sscanf(cws, "%x", &cwv) != 1 || parse_hex(as, &A) || parse_hex(bs, &B)) {
      printf("ERR input\n");
      continue;
    }
    CW = (uint16_t)cwv;
    memset(&MEM, 0xAA, sizeof MEM);
    memsize = 0;
    e->fn();
    uint16_t sw = (uint16_t)(S.b[4] | S.b[5] << 8);
    uint16_t tw = (uint16_t)(S.b[8] | S.b[9] << 8);
    int top = (sw >> 11) & 7, n = 0;
    while (n < 8 && ((tw >> (2 * ((top + n) & 7))) & 3) != 3) n++;
    printf("%04X %d ", sw, n);
    if (n == 0) printf("-");
    for (int i = 0; i < n; i++) {
      if (i) printf(",");
      print_be(S.b + 28 + 10 * i, 10);
    }
    printf(" ");
    if (memsize) print_be(MEM.b, memsize); else printf("-");
    if (e->cmpi) printf(" %d%d%d\n", ZF, PF, CF); else printf(" -\n");
  }
  return 0;
}
