/** The complete opcode table: every instruction the CPU decodes, from the per-area tables. */
import type { OpDef } from '../opdef';
import { INTEGER_OPS } from './integer';

export const OPCODE_TABLE: readonly OpDef[] = [...INTEGER_OPS];
