/**
 * Debian's statically linked busybox (glibc static, package busybox-static)
 * run natively and under the emulator: applets that need no files, fed only
 * through argv and stdin.  stdout, stderr and the exit status must match.
 *
 * Most cases call `busybox APPLET ...`; some set argv[0] to the applet name
 * instead (busybox dispatches on basename(argv[0]) like a symlink would).
 *
 *   npx vitest run test/busybox-applets.test.ts
 *   X86RUN_ORACLE=qemu npx vitest run test/busybox-applets.test.ts
 */
import { existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compareRuns } from './corpus/compare';
import { numberLines, passwdLike, randomBytes, textLines } from './corpus/inputs';
import { BUSYBOX, SETUP_COMMAND } from './corpus/paths';
import { oracle, runEmulated, runNative, TEST_ENV } from './corpus/run';

const TEST_TIMEOUT_MS = Number(process.env.X86RUN_TEST_TIMEOUT_MS) || 300_000;

interface BusyboxCase {
  name: string;
  /** Full argv; argv[0] is 'busybox' or an applet name. */
  argv: string[];
  stdin?: () => Uint8Array;
  /** Exit status expected from the native run (a sanity check of the case itself); default 0. */
  status?: number;
}

const bb = (...args: string[]): string[] => ['busybox', ...args];
const text = (s: string) => () => new TextEncoder().encode(s);

const CASES: BusyboxCase[] = [
  // echo
  { name: 'echo words', argv: bb('echo', 'hello', 'world') },
  { name: 'echo -n', argv: bb('echo', '-n', 'no newline') },
  { name: 'echo -e escapes', argv: bb('echo', '-e', 'tab\\there\\nnew line\\x41\\0101') },
  { name: 'echo via argv0', argv: ['echo', 'dispatched', 'on', 'argv[0]'] },
  // printf
  {
    name: 'printf %d %x %s %5.2f',
    argv: bb('printf', '%d|%x|%X|%s|%5.2f|%o|%c|%%\\n', '42', '255', '48879', 'str', '3.14159', '8', 'z'),
  },
  {
    name: 'printf widths and floats',
    argv: bb(
      'printf',
      '[%-8s][%8s][%08.3f][%e][%g][%+d][% d]\\n',
      'ab',
      'cd',
      '-2.5',
      '12345.678',
      '0.0001',
      '5',
      '7',
    ),
  },
  { name: 'printf format reuse', argv: bb('printf', '%s=%d\\n', 'a', '1', 'b', '2', 'c', '3') },
  {
    name: 'printf big and negative',
    argv: bb('printf', '%d %i %u %x\\n', '-9223372036854775807', '-7', '4294967296', '-1'),
  },
  { name: 'printf via argv0', argv: ['printf', '%05d:%.3s\\n', '42', 'abcdef'] },
  // seq
  { name: 'seq 1 3 100', argv: bb('seq', '1', '3', '100') },
  { name: 'seq -s, 10', argv: bb('seq', '-s,', '10') },
  { name: 'seq -w 8 12', argv: bb('seq', '-w', '8', '12') },
  { name: 'seq decreasing', argv: bb('seq', '5', '-1', '-2') },
  { name: 'seq fractional', argv: bb('seq', '0.5', '0.25', '2') },
  { name: 'seq via argv0', argv: ['seq', '3'] },
  // expr
  { name: 'expr multiply', argv: bb('expr', '6', '*', '7') },
  { name: 'expr precedence', argv: bb('expr', '100', '/', '7', '+', '3', '*', '2') },
  { name: 'expr modulo negative', argv: bb('expr', '-17', '%', '5') },
  { name: 'expr regex match', argv: bb('expr', 'hello', ':', 'h\\(.*\\)o') },
  { name: 'expr match length', argv: bb('expr', 'abc123', ':', '[a-z]*') },
  { name: 'expr length', argv: bb('expr', 'length', 'abcdef') },
  { name: 'expr substr', argv: bb('expr', 'substr', 'abcdef', '2', '3') },
  { name: 'expr false result', argv: bb('expr', '3', '<', '2'), status: 1 },
  { name: 'expr string compare', argv: bb('expr', 'abc', '=', 'abc') },
  { name: 'expr 64-bit', argv: bb('expr', '9223372036854775807', '-', '1') },
  // basename / dirname
  { name: 'basename', argv: bb('basename', '/usr/lib/x86_64-linux-gnu/libc.so.6') },
  { name: 'basename suffix', argv: bb('basename', '/a/b/file.txt', '.txt') },
  { name: 'dirname', argv: bb('dirname', '/usr/lib/x86_64-linux-gnu') },
  { name: 'dirname relative', argv: bb('dirname', 'file') },
  { name: 'dirname root', argv: bb('dirname', '/') },
  // exit codes
  { name: 'true', argv: bb('true'), status: 0 },
  { name: 'false', argv: bb('false'), status: 1 },
  { name: 'true via argv0', argv: ['true'], status: 0 },
  { name: 'false via argv0', argv: ['false'], status: 1 },
  { name: 'test 3 -lt 5', argv: bb('test', '3', '-lt', '5'), status: 0 },
  { name: '[ a = b ]', argv: bb('[', 'a', '=', 'b', ']'), status: 1 },
  // checksums of stdin
  { name: 'sha256sum 100 KB', argv: bb('sha256sum'), stdin: () => randomBytes(11, 100_000) },
  { name: 'sha256sum empty', argv: bb('sha256sum') },
  { name: 'sha256sum via argv0', argv: ['sha256sum'], stdin: () => randomBytes(12, 4097) },
  { name: 'md5sum 100 KB', argv: bb('md5sum'), stdin: () => randomBytes(13, 100_000) },
  { name: 'sha1sum', argv: bb('sha1sum'), stdin: () => randomBytes(14, 30_000) },
  { name: 'sha512sum', argv: bb('sha512sum'), stdin: () => randomBytes(15, 30_000) },
  { name: 'crc32', argv: bb('crc32'), stdin: () => randomBytes(16, 30_000) },
  // text processing on stdin
  { name: 'wc', argv: bb('wc'), stdin: () => textLines(21, 50_000) },
  { name: 'wc -l', argv: bb('wc', '-l'), stdin: () => textLines(22, 20_000) },
  { name: 'tr a-z A-Z', argv: bb('tr', 'a-z', 'A-Z'), stdin: () => textLines(23, 20_000) },
  { name: 'tr -d digits', argv: bb('tr', '-d', '0-9'), stdin: () => textLines(24, 10_000) },
  { name: 'tr -s squeeze', argv: bb('tr', '-s', ' a'), stdin: text('a  aa   b    aaaa c\n') },
  { name: 'cut -d: -f2', argv: bb('cut', '-d:', '-f2'), stdin: () => passwdLike(31, 300) },
  { name: 'cut -d: -f1,3-4', argv: bb('cut', '-d:', '-f1,3-4'), stdin: () => passwdLike(32, 300) },
  { name: 'sort', argv: bb('sort'), stdin: () => textLines(33, 20_000) },
  { name: 'sort -n -r', argv: bb('sort', '-n', '-r'), stdin: () => numberLines(34, 2000) },
  { name: 'uniq -c', argv: bb('uniq', '-c'), stdin: text('a\na\nb\nc\nc\nc\na\n') },
  { name: 'head -n 5', argv: bb('head', '-n', '5'), stdin: () => textLines(35, 5000) },
  { name: 'tail -n 3', argv: bb('tail', '-n', '3'), stdin: () => textLines(36, 5000) },
  { name: 'rev', argv: bb('rev'), stdin: () => textLines(37, 3000) },
  { name: 'nl', argv: bb('nl'), stdin: () => textLines(38, 3000) },
  {
    name: 'sed s///g',
    argv: bb('sed', '-e', 's/a/<A>/g', '-e', '/^$/d'),
    stdin: () => textLines(39, 10_000),
  },
  { name: 'grep -c', argv: bb('grep', '-c', 'kernel'), stdin: () => textLines(40, 10_000) },
  { name: 'grep no match', argv: bb('grep', 'zzzz-not-there'), stdin: () => textLines(41, 1000), status: 1 },
  {
    name: 'awk sum',
    argv: bb('awk', '{ s += $1; n++ } END { printf "%d %d %.4f\\n", n, s, s / n }'),
    stdin: () => numberLines(42, 3000),
  },
  {
    name: 'awk BEGIN',
    argv: bb(
      'awk',
      'BEGIN { for (i = 1; i <= 50; i++) h += 1 / i; printf "%.12f %s %d\\n", h, substr("hello", 2, 3), length("exov6") }',
    ),
  },
  { name: 'od -t x1', argv: bb('od', '-A', 'x', '-t', 'x1'), stdin: () => randomBytes(43, 300) },
  { name: 'base64', argv: bb('base64'), stdin: () => randomBytes(44, 3000) },
  { name: 'bc', argv: bb('bc', '-l'), stdin: text('2^200\nscale=30\n4*a(1)\nsqrt(2)\n') },
  { name: 'factor', argv: bb('factor', '1234567890', '600851475143', '4294967297', '65537') },
  { name: 'gzip -c', argv: bb('gzip', '-c'), stdin: () => textLines(45, 30_000) },
  {
    name: 'gunzip -c',
    argv: bb('gunzip', '-c'),
    stdin: () => new Uint8Array(gzipSync(textLines(46, 30_000))),
  },
  { name: 'cal 2 2024', argv: bb('cal', '2', '2024') },
  { name: 'env', argv: bb('env') },
  {
    name: 'sh builtins',
    argv: bb(
      'sh',
      '-c',
      'i=0; s=0; while [ $i -lt 200 ]; do i=$((i+1)); s=$((s+i*i)); done; echo $s; set -- a b c; echo $# "$2"; case abc in a*) echo match;; esac; printf "%s-%d\\n" x 5; exit 3',
    ),
    status: 3,
  },
];

const ORACLE = oracle();

describe(`busybox applets (emulated by ${ORACLE}, ${TEST_ENV.join(' ')})`, () => {
  it.each(CASES)(
    '$name',
    async ({ argv, stdin, status }) => {
      if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} not found. Run the setup: ${SETUP_COMMAND}`);
      const input = stdin?.();
      const native = runNative(BUSYBOX, argv, input);
      expect(native.status, `native exit status (stderr: ${native.stderr.toString()})`).toBe(status ?? 0);
      const emulated = await runEmulated(BUSYBOX, argv, input);
      const problems = compareRuns(native, emulated);
      if (problems.length) {
        throw new Error(
          `busybox ${JSON.stringify(argv)}: native and emulated runs differ\n${problems.join('\n')}`,
        );
      }
    },
    TEST_TIMEOUT_MS,
  );
});
