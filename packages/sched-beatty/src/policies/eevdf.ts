/**
 * EEVDF: Earliest Eligible Virtual Deadline First (Stoica, Abdel-Wahab, Jeffay, Baruah, Gehrke and
 * Plaxton, 1996).
 *
 * Each client i of weight w_i issues requests of size r; ve_i is its virtual eligible time and
 * vd_i = ve_i + r / w_i its virtual deadline. A client is eligible when ve_i <= V(t) (its lag is >= 0); the
 * scheduler runs the eligible client with the earliest virtual deadline. After a client uses u ticks,
 * ve_i advances by u / w_i. Equal deadlines go to the client that joined first.
 *
 * Dynamics as in the paper: a client joins with lag 0 (ve = V); when a client leaves with lag l, V moves
 * by l / (remaining weight), so the remaining lags sum to zero; a client that blocks keeps its lag and
 * rejoins with it. A weight change keeps the client's lag.
 *
 * The virtual-time machinery (exact, integer) is shared with the Beatty scheduler, which differs in two
 * places only: its eligibility threshold looks one quantum ahead (e < V + q / W instead of e <= V), and its
 * ties go by golden rank instead of join order. Complexity: O(log n) per operation, amortised for pickNext.
 */
import { VirtualTimeScheduler } from '../internal/virtual-time.js';
import { MAX_AMOUNT } from '../limits.js';
import { checkOptions, integerOption } from '../validate.js';

export interface EevdfOptions {
  /** Request size r in ticks (default 1). */
  request?: number;
}

export class EevdfScheduler<T> extends VirtualTimeScheduler<T> {
  readonly policy = 'eevdf' as const;
  readonly requestTicks: number;
  private joins = 0;

  constructor(options?: EevdfOptions) {
    const opts = checkOptions('EevdfScheduler', options);
    const request = integerOption('EevdfScheduler', opts, 'request', 1, 1, MAX_AMOUNT);
    super(request, false);
    this.requestTicks = request;
  }

  protected tieKeyForAdd(_slot: number): number {
    return this.joins++;
  }

  protected headTie(tie: number, _weight: number): number {
    return tie;
  }
}
