/**
 * When a supervisor starts a crashed service again: at once the first time, then after a delay that
 * doubles with every further crash inside the window, and not at all once the service has crashed more
 * than `maxRestarts` times inside it (a service that cannot stay up would otherwise take the machine's
 * time for ever). Times are machine nanoseconds; the rule is a pure function, so runs are deterministic.
 */
export interface RestartPolicy {
  /** Delay before the first restart inside the window (default 0: clients waiting are answered at once). */
  firstDelayNs: number;
  /** Delay before the second restart inside the window; each later one doubles it (default 10 ms). */
  baseDelayNs: number;
  /** The longest delay (default 1 s). */
  maxDelayNs: number;
  /** Restarts allowed inside the window before the service is given up (default 5). */
  maxRestarts: number;
  /** Crashes older than this no longer count (default 10 s). */
  windowNs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  firstDelayNs: 0,
  baseDelayNs: 10_000_000,
  maxDelayNs: 1_000_000_000,
  maxRestarts: 5,
  windowNs: 10_000_000_000,
};

/**
 * The delay before the next restart, given the times of the crashes inside the window (this one
 * included), or null when the service is to be given up.
 */
export function restartDelay(policy: RestartPolicy, crashesInWindow: number): number | null {
  if (crashesInWindow < 1) return 0;
  if (crashesInWindow > policy.maxRestarts) return null;
  if (crashesInWindow === 1) return policy.firstDelayNs;
  return Math.min(policy.maxDelayNs, policy.baseDelayNs * 2 ** (crashesInWindow - 2));
}

/** Checks a policy given in part, filling in the defaults (a RangeError names a bad field). */
export function restartPolicy(partial: Partial<RestartPolicy> = {}): RestartPolicy {
  const policy = { ...DEFAULT_RESTART_POLICY, ...partial };
  for (const [name, value] of Object.entries(policy)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`restart policy: ${name} must be a non-negative integer, not ${value}`);
    }
  }
  if (policy.maxDelayNs < policy.baseDelayNs) {
    throw new RangeError('restart policy: maxDelayNs is below baseDelayNs');
  }
  return policy;
}
