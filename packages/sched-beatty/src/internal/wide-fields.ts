/**
 * Storage for a scheduler's running numbers that outgrow 31 bits (sums of virtual times, total weights,
 * the clock): a Float64Array, read and written through accessors named like the fields they replace.
 *
 * Why not plain fields: JavaScript engines choose a field's representation from the values it has held.
 * V8 stores a field that has only held small integers as one, and the first value past 2^31 changes the
 * object's hidden class, which discards every optimised function that had seen the object (six of them
 * in the pick-next benchmark when the Beatty scheduler's sum of eligible times crosses 2^31, after about
 * two million decisions). Elements of a Float64Array are always doubles, so the shape never changes.
 * (Arithmetic the engine speculated to be 32-bit is still recompiled once when values first pass 2^31;
 * that costs one slower round of the benchmark, which its median ignores.)
 */
export function wideFields(count: number): Float64Array {
  return new Float64Array(count);
}
