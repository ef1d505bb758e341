/**
 * What a client asks a supervisor, in the words of one IPC call: [AWAIT, service index] — "is this
 * service up?". The supervisor starts the service first when its restart is due. The answer:
 * [UP] (it runs: attach to it again and retry), [LATER, machine ns] (a restart is scheduled then),
 * [FAILED] (given up: it will not come back), [UNKNOWN] (no such service).
 */
import type { EnvApi } from '@exov6/exokernel';

export const SUPERVISOR_CALL = { await: 1n } as const;
export const SUPERVISOR_ANSWER = { up: 0n, later: 1n, failed: 2n, unknown: 3n } as const;

export type ServiceState =
  | { readonly kind: 'up' }
  | { readonly kind: 'later'; readonly atNs: number }
  | { readonly kind: 'failed' }
  | { readonly kind: 'unknown' };

/** Asks the supervisor at `endpoint` (IPC_SEND) about service `index`, by a direct call. */
export function awaitService(api: EnvApi, endpoint: number, index: number): ServiceState {
  const result = api.ipcCallNow(endpoint, { words: [SUPERVISOR_CALL.await, BigInt(index)] });
  if (!result.ok) return { kind: 'unknown' };
  const [answer, at] = result.message?.words ?? [];
  switch (answer) {
    case SUPERVISOR_ANSWER.up:
      return { kind: 'up' };
    case SUPERVISOR_ANSWER.later:
      return { kind: 'later', atNs: Number(at ?? 0n) };
    case SUPERVISOR_ANSWER.failed:
      return { kind: 'failed' };
    default:
      return { kind: 'unknown' };
  }
}
