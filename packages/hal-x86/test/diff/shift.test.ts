/** Differential tests: shifts and rotates by 1, imm8 and CL; SHLD/SHRD. */
import { familySuite } from './suite';

familySuite('shift', 12000, 0xb1);
familySuite('shld', 6000, 0xb2);
