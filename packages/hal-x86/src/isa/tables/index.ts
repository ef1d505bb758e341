/** The complete opcode table: every instruction the CPU decodes, from the per-area tables. */
import type { OpDef } from '../opdef';
import { INTEGER_OPS } from './integer';
import { SSE_OPS } from './sse';
import { X87_OPS } from './x87';

export const OPCODE_TABLE: readonly OpDef[] = [...INTEGER_OPS, ...SSE_OPS, ...X87_OPS];
