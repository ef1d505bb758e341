/** Differential tests: ADD OR ADC SBB AND SUB XOR CMP, TEST, INC DEC NEG NOT, flag instructions, prefix handling. */
import { familySuite } from './suite';

familySuite('alu', 12000, 0xa1);
familySuite('test', 3000, 0xa2);
familySuite('incDecNegNot', 4000, 0xa3);
familySuite('flagOps', 1000, 0xa4);
familySuite('prefix', 3000, 0xa5);
