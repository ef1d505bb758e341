/* A small stack-machine bytecode interpreter: the classic dispatch loop over
 * a dense switch.  A tiny assembler with labels builds programs that count
 * primes by trial division, find the longest Collatz chain and compute gcds
 * through calls and returns. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>

enum op {
    PUSH, POP, DUP, SWAP, OVER, ADD, SUB, MUL, DIV, MOD, LT, EQ, NOT, JMP, JZ, JNZ,
    LOAD, STORE, CALL, RET, PRINT, HALT, INC, SHR, AND,
};
static const char *const names[] = {"push", "pop", "dup", "swap", "over", "add", "sub", "mul", "div",
                                    "mod", "lt", "eq", "not", "jmp", "jz", "jnz", "load", "store",
                                    "call", "ret", "print", "halt", "inc", "shr", "and"};

typedef struct { uint8_t op; int64_t arg; } insn;

static insn code[512];
static int ncode;
static int labels[64];
static struct { int at, label; } fixups[128];
static int nfix;

static void emit(enum op o, int64_t a) { code[ncode].op = (uint8_t)o; code[ncode].arg = a; ncode++; }
static void emitl(enum op o, int label) { fixups[nfix].at = ncode; fixups[nfix].label = label; nfix++; emit(o, 0); }
static void label(int l) { labels[l] = ncode; }
static void link(void) { for (int i = 0; i < nfix; i++) code[fixups[i].at].arg = labels[fixups[i].label]; }
static void reset(void) { ncode = 0; nfix = 0; memset(labels, -1, sizeof labels); }

static uint64_t executed;
static unsigned op_hist[32];

static int64_t run(int64_t *mem, int trace_prints) {
    int64_t stack[256];
    int rstack[64];
    int sp = 0, rsp = 0, pc = 0;
    int64_t last = 0;
    for (;;) {
        insn in = code[pc++];
        executed++;
        op_hist[in.op]++;
        switch ((enum op)in.op) {
        case PUSH: stack[sp++] = in.arg; break;
        case POP: sp--; break;
        case DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case SWAP: { int64_t t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
        case OVER: stack[sp] = stack[sp - 2]; sp++; break;
        case ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case DIV: sp--; stack[sp - 1] /= stack[sp]; break;
        case MOD: sp--; stack[sp - 1] %= stack[sp]; break;
        case LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case EQ: sp--; stack[sp - 1] = stack[sp - 1] == stack[sp]; break;
        case NOT: stack[sp - 1] = !stack[sp - 1]; break;
        case JMP: pc = (int)in.arg; break;
        case JZ: if (!stack[--sp]) pc = (int)in.arg; break;
        case JNZ: if (stack[--sp]) pc = (int)in.arg; break;
        case LOAD: stack[sp++] = mem[in.arg]; break;
        case STORE: mem[in.arg] = stack[--sp]; break;
        case CALL: rstack[rsp++] = pc; pc = (int)in.arg; break;
        case RET: pc = rstack[--rsp]; break;
        case PRINT: last = stack[--sp]; if (trace_prints) printf("  vm print: %lld\n", (long long)last); break;
        case HALT: return sp ? stack[sp - 1] : last;
        case INC: stack[sp - 1] += in.arg; break;
        case SHR: stack[sp - 1] >>= in.arg; break;
        case AND: sp--; stack[sp - 1] &= stack[sp]; break;
        default: printf("bad opcode %d\n", in.op); exit(3);
        }
    }
}

/* count primes below N by trial division; mem[0]=n, mem[1]=d, mem[2]=count */
static void build_primes(int64_t N) {
    enum { L_OUTER, L_INNER, L_PRIME, L_NEXT, L_DONE, L_COMPOSITE };
    reset();
    emit(PUSH, 0); emit(STORE, 2);
    emit(PUSH, 2); emit(STORE, 0);
    label(L_OUTER);
    emit(LOAD, 0); emit(PUSH, N); emit(LT, 0); emitl(JZ, L_DONE);
    emit(PUSH, 2); emit(STORE, 1);
    label(L_INNER);
    emit(LOAD, 1); emit(DUP, 0); emit(MUL, 0); emit(LOAD, 0); emit(SWAP, 0); emit(LT, 0); emitl(JNZ, L_PRIME);
    emit(LOAD, 0); emit(LOAD, 1); emit(MOD, 0); emitl(JZ, L_COMPOSITE);
    emit(LOAD, 1); emit(INC, 1); emit(STORE, 1); emitl(JMP, L_INNER);
    label(L_PRIME);
    emit(LOAD, 2); emit(INC, 1); emit(STORE, 2);
    label(L_COMPOSITE);
    label(L_NEXT);
    emit(LOAD, 0); emit(INC, 1); emit(STORE, 0); emitl(JMP, L_OUTER);
    label(L_DONE);
    emit(LOAD, 2); emit(HALT, 0);
    link();
}

/* longest Collatz chain for start values below N, using a subroutine */
static void build_collatz(int64_t N) {
    enum { L_OUTER, L_DONE, L_SUB, L_LOOP, L_EVEN, L_END, L_NOTBEST };
    reset();
    emit(PUSH, 1); emit(STORE, 0);            /* n = 1 */
    emit(PUSH, 0); emit(STORE, 3);            /* best len */
    label(L_OUTER);
    emit(LOAD, 0); emit(PUSH, N); emit(LT, 0); emitl(JZ, L_DONE);
    emit(LOAD, 0); emitl(CALL, L_SUB);        /* -> length */
    emit(DUP, 0); emit(LOAD, 3); emit(SWAP, 0); emit(LT, 0); emitl(JZ, L_NOTBEST);
    emit(STORE, 3); emit(LOAD, 0); emit(STORE, 4); emit(PUSH, 0);
    label(L_NOTBEST);
    emit(POP, 0);
    emit(LOAD, 0); emit(INC, 1); emit(STORE, 0); emitl(JMP, L_OUTER);
    label(L_DONE);
    emit(LOAD, 3); emit(PRINT, 0); emit(LOAD, 4); emit(HALT, 0);
    /* sub: x on stack -> steps; uses mem[5]=x mem[6]=steps */
    label(L_SUB);
    emit(STORE, 5); emit(PUSH, 1); emit(STORE, 6);
    label(L_LOOP);
    emit(LOAD, 5); emit(PUSH, 1); emit(EQ, 0); emitl(JNZ, L_END);
    emit(LOAD, 6); emit(INC, 1); emit(STORE, 6);
    emit(LOAD, 5); emit(PUSH, 1); emit(AND, 0); emitl(JZ, L_EVEN);
    emit(LOAD, 5); emit(PUSH, 3); emit(MUL, 0); emit(INC, 1); emit(STORE, 5); emitl(JMP, L_LOOP);
    label(L_EVEN);
    emit(LOAD, 5); emit(SHR, 1); emit(STORE, 5); emitl(JMP, L_LOOP);
    label(L_END);
    emit(LOAD, 6); emit(RET, 0);
    link();
}

/* Euclid's gcd over pairs, summed, printing a few */
static void build_gcd(void) {
    enum { L_OUTER, L_DONE, L_GCD, L_GLOOP, L_GEND, L_SKIP };
    reset();
    emit(PUSH, 0); emit(STORE, 2); emit(PUSH, 1); emit(STORE, 0);
    label(L_OUTER);
    emit(LOAD, 0); emit(PUSH, 800); emit(LT, 0); emitl(JZ, L_DONE);
    emit(LOAD, 0); emit(PUSH, 1000003); emit(MUL, 0); emit(PUSH, 65536); emit(MOD, 0);
    emit(LOAD, 0); emit(PUSH, 7919); emit(MUL, 0); emit(PUSH, 40000); emit(MOD, 0); emit(INC, 1);
    emitl(CALL, L_GCD);
    emit(DUP, 0); emit(LOAD, 2); emit(ADD, 0); emit(STORE, 2);
    emit(LOAD, 0); emit(PUSH, 200); emit(MOD, 0); emitl(JNZ, L_SKIP);
    emit(DUP, 0); emit(PRINT, 0);
    label(L_SKIP);
    emit(POP, 0);
    emit(LOAD, 0); emit(INC, 1); emit(STORE, 0); emitl(JMP, L_OUTER);
    label(L_DONE);
    emit(LOAD, 2); emit(HALT, 0);
    label(L_GCD); /* (a b -- gcd) */
    label(L_GLOOP);
    emit(DUP, 0); emitl(JZ, L_GEND);
    emit(SWAP, 0); emit(OVER, 0); emit(MOD, 0); emitl(JMP, L_GLOOP);
    label(L_GEND);
    emit(POP, 0); emit(RET, 0);
    link();
}

int main(void) {
    int64_t mem[16] = {0};
    build_primes(1500);
    int64_t primes = run(mem, 0);
    printf("primes below 1500: %lld (program %d insns)\n", (long long)primes, ncode);
    memset(mem, 0, sizeof mem);
    build_collatz(350);
    int64_t best = run(mem, 1);
    printf("longest collatz start below 350: %lld (len %lld)\n", (long long)best, (long long)mem[3]);
    memset(mem, 0, sizeof mem);
    build_gcd();
    int64_t gsum = run(mem, 1);
    printf("gcd sum: %lld\n", (long long)gsum);
    printf("executed %llu vm instructions\n", (unsigned long long)executed);
    for (int i = 0; i <= AND; i++) printf("%s=%u%s", names[i], op_hist[i], i % 8 == 7 ? "\n" : " ");
    printf("\n");
    return (int)((primes + best + gsum) % 256);
}
