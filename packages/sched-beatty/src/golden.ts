/**
 * Golden-ratio constants in integer fixed point.
 *
 * GOLDEN_32 = round(2^32 / phi) = 0x9E3779B9. The map k -> (k * GOLDEN_32) mod 2^32 is the fixed-point
 * golden-ratio rotation k -> frac(k / phi): by the three-distance theorem the points of any run of
 * consecutive k are spread as evenly as any rotation allows, and each new point falls into the largest gap.
 * The Beatty scheduler breaks ties between equal virtual deadlines by this rank of the tasks' join
 * sequence numbers, so tasks that join one after another (one environment's threads, then another's) are
 * interleaved rather than served in blocks. The multiplier is odd, so the map is a bijection on 32 bits.
 */
export const GOLDEN_32 = 0x9e3779b9;

const TWO_32 = 2 ** 32;

/**
 * Tie key for the k-th join: the golden rank in the low 32 bits; above them, floor(k / 2^32), so keys stay
 * distinct even after 2^32 joins (exact below 2^53).
 */
export function goldenTieKey(k: number): number {
  return Math.floor(k / TWO_32) * TWO_32 + (Math.imul(k, GOLDEN_32) >>> 0);
}
