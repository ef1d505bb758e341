/** Differential tests: CMOVcc, SETcc, Jcc/JMP/LOOP/JRCXZ, CALL/RET/ENTER/LEAVE. */
import { familySuite } from './suite';

familySuite('cmov', 3000, 0xe1);
familySuite('setcc', 2000, 0xe2);
familySuite('jcc', 4000, 0xe3);
familySuite('callRet', 3000, 0xe4);
