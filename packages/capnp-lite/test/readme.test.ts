// The README's examples run as written: every ```ts block is executed (with the package name mapped to
// the sources), and when a ```text block follows it, the lines the example printed must equal it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

interface Example {
  line: number;
  code: string;
  output: string | undefined;
}

function examples(): Example[] {
  const out: Example[] = [];
  const fence = /```(\w*)\n([\s\S]*?)```/g;
  const blocks = [...readme.matchAll(fence)].map((m) => ({
    lang: m[1],
    body: m[2],
    index: m.index ?? 0,
    end: (m.index ?? 0) + m[0].length,
  }));
  blocks.forEach((b, i) => {
    if (b.lang !== 'ts') return;
    const next = blocks[i + 1];
    const between = next ? readme.slice(b.end, next.index) : '';
    const output = next?.lang === 'text' && between.trim() === '' ? next.body : undefined;
    out.push({ line: readme.slice(0, b.index).split('\n').length, code: b.body, output });
  });
  return out;
}

const build = join(root, 'test', '.build');
mkdirSync(build, { recursive: true });

test('the README has runnable examples', () => {
  expect(examples().length).toBeGreaterThanOrEqual(3);
});

test.each(examples().map((e) => [e.line, e]))('README example at line %i', async (_line, example) => {
  const file = join(build, `readme-${example.line}.ts`);
  writeFileSync(file, example.code);
  const printed: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => {
    printed.push(args.map(String).join(' '));
  };
  try {
    await import(/* @vite-ignore */ `${file}?t=${Date.now()}`);
  } finally {
    console.log = original;
  }
  if (example.output !== undefined) expect(printed.join('\n')).toBe(example.output.trimEnd());
});
