/** Differential tests: PUSH/POP/PUSHF/POPF and the string instructions with REP prefixes. */
import { familySuite } from './suite';

familySuite('pushPop', 4000, 0x101);
familySuite('string', 8000, 0x102);
familySuite('stringFault', 2000, 0x103);
