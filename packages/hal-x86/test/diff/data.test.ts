/** Differential tests: MOV, MOVZX/MOVSX/MOVSXD, LEA, FS/GS segment overrides, XLAT/NOP/fences. */
import { familySuite } from './suite';

familySuite('mov', 4000, 0xf1);
familySuite('movx', 3000, 0xf2);
familySuite('lea', 5000, 0xf3);
familySuite('segment', 4000, 0xf4);
familySuite('misc', 2000, 0xf5);
