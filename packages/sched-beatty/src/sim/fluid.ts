/**
 * The ideal fluid reference (GPS, generalized processor sharing) that lag is measured against.
 *
 * While the set of runnable tasks and their weights stay fixed, GPS serves every runnable task of
 * positive weight w_i continuously at rate w_i / W (W the total runnable weight); the simulator advances
 * it by exactly the ticks it hands out. Zero-weight (background) tasks get nothing while a positive-weight
 * task is runnable and share the CPU equally otherwise, matching the schedulers' background rule.
 *
 * lag_i = ideal_i - service_i (ticks; positive = behind its share). Ideal service accrues only while the
 * task is runnable and is kept across blocking, so a task's lag is measured over its whole life.
 *
 * Bookkeeping: F is GPS virtual time (sum of dt / W) and F0 its background counterpart; a runnable task's
 * ideal service is base_i + w_i * (F - mark_i). Groups keep the same sums over their members, so a group's
 * lag (the sum of its members' lags) costs O(1) to read. This is metrics code, not a decision path:
 * doubles are fine here (relative error around 1e-12 over a run).
 */
export class FluidReference {
  private F = 0;
  private F0 = 0;
  private positiveWeight = 0;
  private backgroundCount = 0;
  private readonly weight: number[] = [];
  private readonly runnable: boolean[] = [];
  private readonly present: boolean[] = [];
  private readonly base: number[] = [];
  private readonly mark: number[] = [];
  private readonly served: number[] = [];
  private readonly group: number[] = [];
  // Per group: sum of (base - served) over present members; slope terms over runnable members.
  private readonly gConst: number[] = [];
  private readonly gW: number[] = [];
  private readonly gWMark: number[] = [];
  private readonly gBackground: number[] = [];
  private readonly gBackgroundMark: number[] = [];

  constructor(taskCount: number, groupOf: readonly number[], groupCount: number) {
    for (let i = 0; i < taskCount; i++) {
      this.weight.push(0);
      this.runnable.push(false);
      this.present.push(false);
      this.base.push(0);
      this.mark.push(0);
      this.served.push(0);
      this.group.push(groupOf[i]);
    }
    for (let g = 0; g < groupCount; g++) {
      this.gConst.push(0);
      this.gW.push(0);
      this.gWMark.push(0);
      this.gBackground.push(0);
      this.gBackgroundMark.push(0);
    }
  }

  ideal(i: number): number {
    if (!this.runnable[i]) return this.base[i];
    const w = this.weight[i];
    return w > 0 ? this.base[i] + w * (this.F - this.mark[i]) : this.base[i] + (this.F0 - this.mark[i]);
  }

  service(i: number): number {
    return this.served[i];
  }

  lag(i: number): number {
    return this.ideal(i) - this.served[i];
  }

  groupLag(g: number): number {
    return (
      this.gConst[g] +
      this.F * this.gW[g] -
      this.gWMark[g] +
      this.F0 * this.gBackground[g] -
      this.gBackgroundMark[g]
    );
  }

  arrive(i: number, weight: number): void {
    this.present[i] = true;
    this.weight[i] = weight;
    const g = this.group[i];
    if (g >= 0) this.gConst[g] += this.base[i] - this.served[i];
    this.setRunnable(i, true);
  }

  depart(i: number): void {
    this.setRunnable(i, false);
    this.present[i] = false;
    const g = this.group[i];
    if (g >= 0) this.gConst[g] -= this.base[i] - this.served[i];
  }

  setRunnable(i: number, runnable: boolean): void {
    if (this.runnable[i] === runnable) return;
    if (runnable) {
      this.runnable[i] = true;
      this.attach(i);
    } else {
      this.detach(i);
      this.runnable[i] = false;
    }
  }

  setWeight(i: number, weight: number): void {
    if (this.runnable[i]) {
      this.detach(i);
      this.weight[i] = weight;
      this.attach(i);
    } else {
      this.weight[i] = weight;
    }
  }

  /** `ticks` of CPU time pass, all given to `i`. */
  serve(i: number, ticks: number): void {
    if (this.positiveWeight > 0) this.F += ticks / this.positiveWeight;
    else if (this.backgroundCount > 0) this.F0 += ticks / this.backgroundCount;
    this.served[i] += ticks;
    const g = this.group[i];
    if (g >= 0) this.gConst[g] -= ticks;
  }

  /** Start accruing at the current virtual time. */
  private attach(i: number): void {
    const w = this.weight[i];
    const g = this.group[i];
    if (w > 0) {
      this.positiveWeight += w;
      this.mark[i] = this.F;
      if (g >= 0) {
        this.gW[g] += w;
        this.gWMark[g] += w * this.F;
      }
    } else {
      this.backgroundCount++;
      this.mark[i] = this.F0;
      if (g >= 0) {
        this.gBackground[g] += 1;
        this.gBackgroundMark[g] += this.F0;
      }
    }
  }

  /** Stop accruing: fold what accrued into base. */
  private detach(i: number): void {
    const w = this.weight[i];
    const g = this.group[i];
    const accrued = this.ideal(i) - this.base[i];
    this.base[i] += accrued;
    if (w > 0) {
      this.positiveWeight -= w;
      if (g >= 0) {
        this.gW[g] -= w;
        this.gWMark[g] -= w * this.mark[i];
      }
    } else {
      this.backgroundCount--;
      if (g >= 0) {
        this.gBackground[g] -= 1;
        this.gBackgroundMark[g] -= this.mark[i];
      }
    }
    if (g >= 0) this.gConst[g] += accrued;
  }
}
