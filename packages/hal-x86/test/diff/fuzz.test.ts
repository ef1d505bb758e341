/** Differential tests: random encodings over the baseline integer opcode space (see fuzz.ts). */
import { familySuite } from './suite';

familySuite('fuzz', 15000, 0x121);
