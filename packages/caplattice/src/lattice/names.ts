// Names of levels, categories and lattice nodes. They are restricted to identifier-like words so that
// the text forms of labels ("SECRET", "{CRYPTO,NUCLEAR}", "(SECRET, {CRYPTO})") parse back without
// ambiguity and can be carried inside tokens.

import { LatticeError } from '../errors.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const MAX_NAME_LENGTH = 64;

/** Check a list of names: non-empty words, unique. Returns a name -> index map. */
export function indexNames(kind: string, names: readonly string[]): Map<string, number> {
  if (!Array.isArray(names)) throw new LatticeError(`${kind}: expected an array of names`);
  const index = new Map<string, number>();
  names.forEach((name, i) => {
    if (typeof name !== 'string' || name.length > MAX_NAME_LENGTH || !NAME.test(name)) {
      throw new LatticeError(
        `${kind}: name ${JSON.stringify(name)} must be a word of letters, digits, '_', '.', '-' ` +
          `(not starting with a digit, at most ${MAX_NAME_LENGTH} characters)`,
      );
    }
    if (index.has(name)) throw new LatticeError(`${kind}: name ${name} appears twice`);
    index.set(name, i);
  });
  return index;
}

/** Split `text` at top-level occurrences of `sep`, ignoring separators nested in (), {} or []. */
export function splitTopLevel(text: string, sep: string): string[] | null {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '{' || c === '[') depth++;
    else if (c === ')' || c === '}' || c === ']') {
      depth--;
      if (depth < 0) return null;
    } else if (c === sep && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) return null;
  parts.push(text.slice(start));
  return parts;
}

/** The error for a value that is not a label of `lattice`. */
export function notALabel(lattice: string, value: unknown): LatticeError {
  let shown: string;
  try {
    shown = typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value));
  } catch {
    shown = String(value);
  }
  return new LatticeError(`${shown} is not a label of lattice ${lattice}`);
}
