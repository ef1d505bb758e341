/** Differential tests: BT/BTS/BTR/BTC, BSF/BSR, XCHG/XADD/CMPXCHG/CMPXCHG8B, BSWAP and sign extensions of rAX. */
import { familySuite } from './suite';

familySuite('bt', 6000, 0xd1);
familySuite('bsf', 3000, 0xd2);
familySuite('exchange', 5000, 0xd3);
familySuite('convert', 1500, 0xd4);
