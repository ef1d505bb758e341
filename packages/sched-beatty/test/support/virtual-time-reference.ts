/**
 * A direct, slow transcription of the Beatty and EEVDF rules (as written in the policy files and the
 * README) in exact bigint arithmetic, with no heaps, classes or rebasing. The fast schedulers must make
 * exactly the same decisions.
 */
type State = 'runnable' | 'blocked';

interface Task {
  weight: bigint;
  E: bigint;
  tie: bigint;
  savedLag: bigint;
  state: State;
}

const SUBTICKS = 1024n;

/** floor(a / b) for b > 0. */
function fdiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return q * b > a ? q - 1n : q;
}

export class VirtualTimeReference {
  private readonly tasks = new Map<string, Task>();
  private readonly background: string[] = [];
  private SE = 0n;
  private W = 0n;
  private joins = 0n;
  private readonly R: bigint;

  constructor(
    private readonly rule: 'beatty' | 'eevdf',
    quantum: number,
  ) {
    this.R = BigInt(quantum) * SUBTICKS;
  }

  private tieFor(k: bigint): bigint {
    if (this.rule === 'eevdf') return k;
    const two32 = 2n ** 32n;
    return (k / two32) * two32 + ((k * 0x9e3779b9n) % two32);
  }

  add(id: string, weight: number): void {
    const t: Task = {
      weight: BigInt(weight),
      E: 0n,
      tie: this.tieFor(this.joins++),
      savedLag: 0n,
      state: 'runnable',
    };
    this.tasks.set(id, t);
    this.contend(id, t);
  }

  remove(id: string): void {
    const t = this.tasks.get(id) as Task;
    if (t.state === 'runnable') this.withdraw(id, t, false);
    this.tasks.delete(id);
  }

  block(id: string): void {
    const t = this.tasks.get(id) as Task;
    this.withdraw(id, t, true);
    t.state = 'blocked';
  }

  unblock(id: string): void {
    const t = this.tasks.get(id) as Task;
    t.state = 'runnable';
    this.contend(id, t);
  }

  setWeight(id: string, weight: number): void {
    const t = this.tasks.get(id) as Task;
    const w = BigInt(weight);
    if (w === t.weight) return;
    if (t.state === 'blocked') {
      if (t.weight === 0n) t.savedLag = 0n;
      t.weight = w;
      return;
    }
    if (t.weight > 0n && w > 0n) {
      const lag = fdiv(t.weight * this.SE, this.W) - t.E;
      const E = fdiv(w * this.SE, this.W) - lag;
      this.SE += E - t.E;
      this.W += w - t.weight;
      t.E = E;
      t.weight = w;
    } else if (t.weight > 0n) {
      this.withdraw(id, t, false);
      t.weight = 0n;
      this.background.push(id);
    } else {
      this.background.splice(this.background.indexOf(id), 1);
      t.weight = w;
      t.savedLag = 0n;
      this.enter(t);
    }
  }

  charge(id: string, amount: number): void {
    if (amount === 0) return;
    const t = this.tasks.get(id) as Task;
    if (t.weight === 0n) {
      this.background.splice(this.background.indexOf(id), 1);
      this.background.push(id);
      return;
    }
    const a = BigInt(amount) * SUBTICKS;
    t.E += a;
    this.SE += a;
  }

  pick(): string | undefined {
    let best: string | undefined;
    let bt: Task | undefined;
    for (const [id, t] of this.tasks) {
      if (t.state !== 'runnable' || t.weight === 0n) continue;
      // Eligible: E / w < (SE + R) / W (Beatty) or E / w <= SE / W (EEVDF).
      const eligible =
        this.rule === 'beatty'
          ? t.E * this.W < (this.SE + this.R) * t.weight
          : t.E * this.W <= this.SE * t.weight;
      if (!eligible) continue;
      if (bt === undefined) {
        best = id;
        bt = t;
        continue;
      }
      const a = (t.E + this.R) * bt.weight;
      const b = (bt.E + this.R) * t.weight;
      // Equal deadlines: Beatty serves the earlier eligible time (the smaller weight) first, then the
      // smaller golden rank; EEVDF the earlier join.
      const lighter =
        this.rule === 'beatty' && t.weight !== bt.weight ? t.weight < bt.weight : t.tie < bt.tie;
      if (a < b || (a === b && lighter)) {
        best = id;
        bt = t;
      }
    }
    return best ?? this.background[0];
  }

  /** Exact lag of a runnable positive-weight task, in ticks, as [numerator, denominator]. */
  lag(id: string): [bigint, bigint] {
    const t = this.tasks.get(id) as Task;
    return [t.weight * this.SE - t.E * this.W, this.W * SUBTICKS];
  }

  private contend(id: string, t: Task): void {
    if (t.weight === 0n) this.background.push(id);
    else this.enter(t);
  }

  private enter(t: Task): void {
    const lag = t.savedLag;
    t.E = this.W > 0n ? fdiv(t.weight * (this.SE - lag), this.W) - lag : 0n;
    this.SE += t.E;
    this.W += t.weight;
  }

  private withdraw(id: string, t: Task, keepLag: boolean): void {
    if (t.weight === 0n) {
      this.background.splice(this.background.indexOf(id), 1);
      return;
    }
    if (keepLag) t.savedLag = fdiv(t.weight * this.SE, this.W) - t.E;
    this.SE -= t.E;
    this.W -= t.weight;
    if (this.W === 0n) this.SE = 0n;
  }
}
