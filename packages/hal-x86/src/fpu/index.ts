/**
 * x87 80-bit extended-precision arithmetic for the simulated CPU.
 *
 * Integration notes for the instruction layer:
 * - Every operation takes an X87Env (control word + status word), ORs its
 *   exception flags into env.sw (ES/B too for unmasked ones, i.e. a pending
 *   #MF for the next waiting instruction) and returns the result.
 * - env.suppressed === true after an operation means an unmasked exception
 *   forbids the result: do not write the destination and do not push/pop
 *   (invalid operation, denormal operand, zero divide; overflow/underflow of
 *   FST m32/m64; SNaN loads).  Unmasked OE/UE on register results and PE never
 *   suppress.  Comparisons always write C0/C2/C3 (FCOM) or ZF/PF/CF (FCOMI);
 *   suppressed then only cancels the pop of FCOMP/FCOMPP/FCOMIP.
 * - Memory operand forms: FADD m64fp etc. = add(env, st0, widenFloat64(bits).value,
 *   widenFloat64(bits).denormal); FIADD = add(env, st0, fromInt(env, n));
 *   the reversed forms swap the operands (FSUBR: sub(env, mem, st0, denormal)).
 * - Stack faults: stackUnderflow(env) / stackOverflow(env) give the masked
 *   response (real indefinite) and set IE, SF and C1.
 * - Register stack, tag word and TOP are the CPU's; FXAM takes `empty`.
 * - Behaviour was verified bit for bit against an AMD EPYC host (test/fpu).
 */

export * from './arith';
export { bitLength, isqrt } from './bigint';
export * from './compare';
export * from './constants';
export * from './control';
export * from './convert';
export * from './fast-add';
export * from './fast-compare';
export * from './fast-div';
export * from './fast-load';
export * from './fast-mul';
export * from './fast-round';
export * from './fast-store';
export * from './float80';
export * from './float80-parts';
export * from './operands';
export * from './round';
export * from './transcendental';
