/** Handlers that only raise an exception: undefined opcodes, privileged instructions at CPL 3. */
import { GuestFault } from '../../cpu/fault';
import type { Handler } from '../opdef';

export function raiseFault(vector: number, detail = ''): Handler {
  return (_cpu, insn) => {
    throw new GuestFault(vector, 0, 0n, detail || `${insn.def.mnemonic} at 0x${insn.addr.toString(16)}`);
  };
}
