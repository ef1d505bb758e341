// The examples in examples/caplattice run here (against the sources: vitest maps the package name to
// src/index.ts), their output is checked, and the README must quote each of them verbatim, so the
// documentation cannot drift from code that runs.

import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';

const EXAMPLES = new URL('../../../examples/caplattice/', import.meta.url);
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

async function runExample(name: string): Promise<string> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  });
  try {
    await import(new URL(`${name}.ts`, EXAMPLES).href);
  } finally {
    log.mockRestore();
  }
  return lines.join('\n');
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('examples', () => {
  it('lattices.ts', async () => {
    const out = await runExample('lattices');
    expect(out).toContain('FILE v TCP = ROOT');
    expect(out).toContain('FILE ^ TCP = SANDBOX');
    expect(out).toContain('analyst <= report: true');
    expect(out).toContain('join: (SECRET, {CRYPTO,NUCLEAR})');
    expect(out).toContain('refused: bell-lapadula: a message may not flow from SYSTEM to GUEST');
    expect(out).toContain('not a lattice: lattice finite: a and b have no join');
  });

  it('capabilities.ts', async () => {
    const out = await runExample('capabilities');
    expect(out).toContain('editor may map: true');
    expect(out).toContain('editor may write: false');
    expect(out).toContain('badge seen by the kernel: 7');
    expect(out).toContain('RIGHTS_ESCALATION: derive: cannot grant EXECUTE');
    expect(out).toContain('LABEL_ESCALATION: derive: label NETWORK is not <=');
    expect(out).toContain('editor still holds it: false');
    expect(out).toMatch(/revoked 10002 capabilities in \d+ steps/);
    expect(out).toContain('the shell was told about 5001 of its ids');
    expect(out).toContain('{"nodes":1,"capabilities":1,"pendingRevokes":0}');
  });

  it('tokens.ts', async () => {
    const out = await runExample('tokens');
    expect(out).toContain('request/response bytes: 1121 33');
    expect(out).toContain('caveats carried: rights, label, expires');
    expect(out).toContain('B grants READ at USER');
    expect(out).toContain('tampered: BAD_MAC');
    expect(out).toContain('write: INSUFFICIENT_RIGHTS');
    expect(out).toContain('after revokeAll: REVOKED');
    expect(out).toContain('grants FILE');
  });

  it.each(['lattices', 'capabilities', 'tokens'])('the README quotes %s.ts verbatim', (name) => {
    const source = readFileSync(new URL(`${name}.ts`, EXAMPLES), 'utf8');
    expect(README).toContain(`\`\`\`ts\n// examples/caplattice/${name}.ts\n${source}\`\`\``);
  });
});
