/**
 * The interactive console through a real pseudo-terminal (tmux): the boot log and the shell's prompt,
 * line editing by the guest's terminal (backspace), Ctrl-C reaching a foreground job as SIGINT, and the
 * Ctrl-A x escape powering the machine off.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const haveTmux = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).error === undefined;
const session = `exov6-test-${process.pid}`;

const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', session);

/** Waits until the screen matches (polling), or fails with what it shows. */
async function waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const text = screen();
    if (pattern.test(text)) return text;
    if (Date.now() > end) throw new Error(`timed out waiting for ${pattern}; the screen shows:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!haveTmux || !existsSync(cli) || !existsSync('/bin/busybox'))(
  'the interactive console',
  () => {
    afterAll(() => {
      spawnSync('tmux', ['kill-session', '-t', session], { stdio: 'ignore' });
    });

    it('boots to a prompt, edits lines, takes Ctrl-C and powers off on Ctrl-A x', async () => {
      tmux(
        'new-session',
        '-d',
        '-s',
        session,
        '-x',
        '100',
        '-y',
        '40',
        `${process.execPath} ${cli} --memory 64; echo "EXIT STATUS $?"; sleep 60`,
      );
      await waitFor(/ExoV6 machine: 64 MiB/);
      await waitFor(/^exov6:~#\s*$/m);

      // Typed "echo abX", a backspace, then "c": the line discipline or the shell's editor erases the X.
      tmux('send-keys', '-t', session, '-l', 'echo abX');
      tmux('send-keys', '-t', session, 'BSpace');
      tmux('send-keys', '-t', session, '-l', 'c');
      tmux('send-keys', '-t', session, 'Enter');
      await waitFor(/^abc$/m);

      // A foreground job interrupted by Ctrl-C: the shell reports 128 + SIGINT.
      tmux('send-keys', '-t', session, '-l', 'sleep 1000');
      tmux('send-keys', '-t', session, 'Enter');
      await new Promise((r) => setTimeout(r, 500));
      tmux('send-keys', '-t', session, 'C-c');
      await new Promise((r) => setTimeout(r, 300));
      tmux('send-keys', '-t', session, '-l', 'echo "status $?"');
      tmux('send-keys', '-t', session, 'Enter');
      await waitFor(/^status 130$/m);

      tmux('send-keys', '-t', session, 'C-a');
      tmux('send-keys', '-t', session, '-l', 'x');
      const text = await waitFor(/EXIT STATUS \d+/);
      expect(text).toMatch(/exov6: powered off/);
    }, 60_000);
  },
);
