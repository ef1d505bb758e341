/** Differential tests: faulting and non-faulting memory operands outside the data page, instruction fetch at the code page end, invalid opcodes. */
import { familySuite } from './suite';

familySuite('memFault', 3000, 0x111);
familySuite('invalid', 500, 0x112);
familySuite('fetchFault', 2000, 0x113);
