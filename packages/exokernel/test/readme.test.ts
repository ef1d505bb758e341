/**
 * The README stays true: every TypeScript block runs (importing this package's sources) and prints exactly
 * the text block that follows it, and every export of src/index.ts appears in the API table.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(join(pkg, 'README.md'), 'utf8');

describe('README.md', () => {
  const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```\n\nprints\n\n```text\n([\s\S]*?)```/g)];

  it('has examples', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  examples.forEach((m, k) => {
    it(`example ${k + 1} prints what the README says`, async () => {
      const dir = join(pkg, 'test', '.build');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `readme-example-${k + 1}.ts`);
      writeFileSync(file, m[1] as string);
      const lines: string[] = [];
      const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(' '));
      });
      try {
        await import(/* @vite-ignore */ `${file}?run=${Date.now()}`);
      } finally {
        log.mockRestore();
      }
      expect(`${lines.join('\n')}\n`).toBe(m[2]);
    });
  });

  it('names every export of src/index.ts in the API table', () => {
    const index = readFileSync(join(pkg, 'src', 'index.ts'), 'utf8');
    const names = [...index.matchAll(/export (?:type )?\{([^}]*)\}/g)].flatMap((m) =>
      (m[1] as string)
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n !== ''),
    );
    const api = readme.slice(readme.indexOf('## API'));
    expect(names.filter((n) => !api.includes(`\`${n}\``))).toEqual([]);
  });
});
