/**
 * Debian's busybox-static (glibc, unmodified) in the library OS: shell scripts with pipes, redirections,
 * command substitution, subshells, functions, traps, kill, background jobs and wait, and the text
 * applets, each compared with the same script run natively by the same binary.
 */
import { describe, expect, it } from 'vitest';
import { haveBusybox, installBusybox, runShellNative } from './support/busybox';
import { bootSystem, runCommand } from './support/programs';

const SCRIPTS: [string, string][] = [
  ['a pipeline of filters', "seq 1 20 | sort -r | head -n 3 | tr '\\n' ' '; echo"],
  ['tail and sort -n', 'seq 30 | tail -n 4; printf "10\\n9\\n100\\n" | sort -n | tail -n 1'],
  ['redirections and uniq', "printf 'b\\na\\nc\\n' > f; sort f; wc -l < f; cat f f | uniq -c | head -2"],
  [
    'sed and awk',
    "for i in 1 2 3; do echo \"item $i\"; done | sed 's/item/ITEM/' | awk '{s+=$2} END {print s, NR}'",
  ],
  ['expr, arithmetic and test', 'x=$(expr 6 \\* 7); echo "$x"; echo $((x + 1)); test $x -eq 42 && echo yes'],
  ['subshells and cd', '(cd /; pwd); echo $(basename /a/b/c.txt .txt) $(dirname /a/b/c.txt)'],
  ['find, mkdir, touch, rm', 'mkdir -p d/e; touch d/e/f1 d/f2; find d | sort; rm -r d; ls'],
  ['a trap on a signal sent to the shell', "trap 'echo trapped USR1' USR1; kill -USR1 $$; echo after"],
  [
    'background jobs and wait',
    'sleep 0 & wait $!; echo "bg status $?"; (exit 5) & wait $!; echo "bg status $?"',
  ],
  ['a child killed by a signal', 'sh -c \'kill -TERM $$\'; echo "killed status $?"'],
  ['grep and exit statuses', 'echo hello | grep -c ell; echo nothing | grep zzz; echo "grep status $?"'],
  ['ls -l of a new file', "umask 022; echo data > g; ls -l g | awk '{print $1, $2, $5, $NF}'"],
  ['a while loop', 'i=0; while [ $i -lt 50 ]; do i=$((i+1)); done; echo "loop $i"'],
  ['cut and awk -F', "echo one two three | cut -d' ' -f2; echo a:b:c | awk -F: '{print $3}'"],
  ['here document', 'cat <<EOT | wc -c\nhere document\nEOT'],
  ['stderr into a pipe', '{ echo out; echo err >&2; } 2>&1 | sort'],
  ['xargs and env -i', 'seq 5 | xargs echo; echo abc | env -i sh -c \'cat; echo "env empty [$HOME]"\''],
  ['exec with descriptor 3', 'exec 3>h; echo via3 >&3; exec 3>&-; cat h'],
  [
    'negation and functions',
    'false; echo "status $?"; ! false; echo "negated $?"; f() { echo "in f $1"; return 3; }; f arg; echo "f returned $?"',
  ],
  [
    'case and positional parameters',
    'case abc in a*) echo starts with a;; *) echo other;; esac; set -- x y z; echo "$# $2"; shift; echo "$@"',
  ],
  ['nested command substitution', "echo $(( $(seq 100 | awk '{s+=$1} END {print s}') / 2 ))"],
  ['mv, cp, ln -s, readlink', 'echo x > a; cp a b; mv b c; ln -s c l; readlink l; cat l; ls'],
  ['checksums of stdin', 'seq 1000 | md5sum; seq 1000 | sha256sum; echo abc | od -c | head -1'],
  ['yes stopped by SIGPIPE', 'yes | head -n 3; echo "status of the pipeline $?"'],
  ['the exit status of the script', 'echo bye; exit 7'],
  ['reading standard input', 'while read a b; do echo "[$b|$a]"; done; echo done'],
];

const STDIN = 'first line\nsecond one\n';

describe.skipIf(!haveBusybox)('busybox sh scripts, compared with native runs', () => {
  for (const [title, script] of SCRIPTS) {
    it(title, () => {
      const native = runShellNative(script, STDIN);
      expect(native.stdout.length).toBeGreaterThan(0);
      const booted = bootSystem({ memoryMiB: 96 });
      installBusybox(booted);
      const ours = runCommand(booted, ['/bin/sh', '-c', script], {
        stdin: STDIN,
        env: ['PATH=/bin', 'HOME=/tmp'],
      });
      expect(ours.stdout).toBe(native.stdout);
      expect(ours.stderr).toBe(native.stderr);
      expect(ours.status).toBe(native.status);
    });
  }
});
