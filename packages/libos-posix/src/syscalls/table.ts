/**
 * The system-call table: every implemented Linux x86-64 call by number, assembled from the handlers
 * of each area (named as in syscall_64.tbl, numbered through hal-x86's table of names).
 */
import { SYSCALL_NAMES } from '@exov6/hal-x86';
import type { SyscallHandler } from './call';
import { FILE_CALLS } from './file-calls';
import { INFO_CALLS } from './info-calls';
import { MEMORY_CALLS } from './memory-calls';
import { MOUNT_CALLS } from './mount-calls';
import { PROCESS_CALLS } from './process-calls';
import { SIGNAL_CALLS } from './signal-calls';

const NUMBERS = new Map(Object.entries(SYSCALL_NAMES).map(([nr, name]) => [name, Number(nr)]));

function build(): SyscallHandler[] {
  const table: SyscallHandler[] = [];
  for (const group of [FILE_CALLS, INFO_CALLS, MEMORY_CALLS, MOUNT_CALLS, PROCESS_CALLS, SIGNAL_CALLS]) {
    for (const [name, handler] of Object.entries(group)) {
      const nr = NUMBERS.get(name);
      if (nr === undefined) throw new Error(`system-call table: no Linux x86-64 call named ${name}`);
      if (table[nr] !== undefined) throw new Error(`system-call table: ${name} is implemented twice`);
      table[nr] = handler;
    }
  }
  return table;
}

export const SYSCALLS: readonly (SyscallHandler | undefined)[] = build();

/** Names of the implemented calls, in number order. */
export function implementedCalls(): string[] {
  return SYSCALLS.flatMap((h, nr) => (h === undefined ? [] : [SYSCALL_NAMES[nr] as string]));
}
