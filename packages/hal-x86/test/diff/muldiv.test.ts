/** Differential tests: MUL/IMUL in all forms, DIV/IDIV including #DE. */
import { familySuite } from './suite';

familySuite('mul', 5000, 0xc1);
familySuite('div', 6000, 0xc2);
