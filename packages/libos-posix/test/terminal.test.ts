/**
 * The terminal line discipline on its own: canonical lines with erase, word erase and kill, ICRNL,
 * end of file, raw mode with VMIN, signals to the foreground group, echo, and ONLCR on output.
 */
import { describe, expect, it } from 'vitest';
import { Terminal } from '../src/index';
import { ICANON, ECHO, V } from '../src/tty/termios';

function terminal() {
  const sent: number[] = [];
  const signals: [number, number][] = [];
  const t = new Terminal({
    transmit: (b) => sent.push(...b),
    signalGroup: (pgid, signal) => signals.push([pgid, signal]),
  });
  const text = (bytes: Uint8Array | null) => (bytes === null ? null : Buffer.from(bytes).toString('latin1'));
  return { t, sent: () => Buffer.from(sent).toString('latin1'), signals, text };
}

const type = (t: Terminal, s: string) => t.receive(Buffer.from(s, 'latin1'));

describe('Terminal', () => {
  it('gives nothing until a line is complete, then one line per read', () => {
    const { t, text } = terminal();
    type(t, 'ab');
    expect(t.read(100)).toBeNull();
    type(t, 'c\rsecond\r');
    expect(text(t.read(100))).toBe('abc\n');
    expect(text(t.read(3))).toBe('sec');
    expect(text(t.read(100))).toBe('ond\n');
    expect(t.read(100)).toBeNull();
  });

  it('edits the line: erase, word erase, kill', () => {
    const { t, text } = terminal();
    type(t, 'helo\x7flo worx\x08ld\r');
    expect(text(t.read(100))).toBe('hello world\n');
    type(t, 'one two\x17three\r');
    expect(text(t.read(100))).toBe('one three\n');
    type(t, 'discard me\x15kept\r');
    expect(text(t.read(100))).toBe('kept\n');
  });

  it('echoes input, erases on screen, shows control characters, and turns NL into CR NL on output', () => {
    const { t, sent } = terminal();
    type(t, 'ab\x7f');
    expect(sent()).toBe('ab\b \b');
    t.write(Buffer.from('x\ny\n'));
    expect(sent()).toBe('ab\b \bx\r\ny\r\n');
  });

  it('ends a read with end of file on ^D at the start of a line, and completes a line on ^D after text', () => {
    const { t, text } = terminal();
    type(t, 'part\x04');
    expect(text(t.read(100))).toBe('part');
    type(t, '\x04');
    expect(text(t.read(100))).toBe('');
    expect(t.read(100)).toBeNull();
  });

  it('sends SIGINT, SIGQUIT and SIGTSTP to the foreground group and drops the pending line', () => {
    const { t, signals, sent } = terminal();
    t.foregroundPgid = 7;
    type(t, 'half\x03');
    type(t, '\x1c\x1a');
    expect(signals).toEqual([
      [7, 2],
      [7, 3],
      [7, 20],
    ]);
    expect(sent()).toBe('half^C\r\n^\\\r\n^Z\r\n');
    type(t, 'new\r');
    expect(Buffer.from(t.read(100) as Uint8Array).toString()).toBe('new\n');
  });

  it('in raw mode gives bytes at once, and with VMIN 0 an empty read instead of waiting', () => {
    const { t, text, sent } = terminal();
    t.termios.lflag &= ~(ICANON | ECHO);
    type(t, 'k');
    expect(text(t.read(10))).toBe('k');
    expect(t.read(10)).toBeNull();
    t.termios.cc[V.MIN] = 0;
    expect(text(t.read(10))).toBe('');
    expect(sent()).toBe('');
  });
});
