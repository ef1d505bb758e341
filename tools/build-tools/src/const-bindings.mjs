/**
 * Top-level `var` to `const` in a bundled ES module, for the bindings nothing reassigns.
 *
 * Bundlers emit every top-level declaration of the modules they join as `var` (esbuild does so on purpose,
 * and has no option against it). V8 reads a module-level `var` from its context slot and checks it each
 * time, while a `const` it may treat as the value it holds: a capability check took 5.4 ns against 3.3 on
 * Node 20, and the kernel's IPC round trip about a tenth more time (see this package's README). Declaring
 * them `const` again where that changes nothing else gets it back.
 *
 * The rule is conservative: a declaration is rewritten only if it initializes every name it declares (a
 * destructuring one included), and each of them is declared nowhere else in the file (by `var`,
 * `function` or `class`, at any depth, shadowing included) and is never the target of an assignment, an
 * update (`++`/`--`) or a for-in/of anywhere in the file. A file that calls `eval` is left as it is.
 * Whatever is not rewritten stays a `var`, as before.
 */
import { parse } from 'acorn';
import { simple } from 'acorn-walk';

/**
 * @typedef {{ line: number, column: number }} Rewrite A rewritten declaration: where its `var` was, as a
 *   0-based line and a 0-based column (UTF-16 code units, as source maps count them).
 */

/** How many characters `const` is longer than `var`. */
export const WIDENED_BY = 'const'.length - 'var'.length;

/**
 * Rewrites the never-reassigned top-level `var` declarations of the ES module `code` as `const`.
 * @param {string} code
 * @returns {{ code: string, rewrites: Rewrite[], names: string[] }} the new code, where each rewritten
 *   `var` was (in file order), and the names now declared `const`.
 */
export function constTopLevelBindings(code) {
  const program = parse(code, {
    ecmaVersion: 'latest',
    sourceType: 'module',
    locations: true,
    allowHashBang: true,
  });
  const declared = new Map();
  const assigned = new Set();
  let callsEval = false;
  const declare = (name) => declared.set(name, (declared.get(name) ?? 0) + 1);
  const assign = (pattern) => {
    for (const name of patternNames(pattern)) assigned.add(name);
  };
  simple(program, {
    VariableDeclaration(node) {
      for (const d of node.declarations) for (const name of patternNames(d.id)) declare(name);
    },
    FunctionDeclaration(node) {
      if (node.id !== null) declare(node.id.name);
    },
    ClassDeclaration(node) {
      if (node.id !== null) declare(node.id.name);
    },
    AssignmentExpression(node) {
      assign(node.left);
    },
    UpdateExpression(node) {
      assign(node.argument);
    },
    ForInStatement(node) {
      if (node.left.type !== 'VariableDeclaration') assign(node.left);
    },
    ForOfStatement(node) {
      if (node.left.type !== 'VariableDeclaration') assign(node.left);
    },
    CallExpression(node) {
      if (node.callee.type === 'Identifier' && node.callee.name === 'eval') callsEval = true;
    },
  });
  if (callsEval) return { code, rewrites: [], names: [] };

  const chosen = [];
  for (const statement of program.body) {
    const node = statement.type === 'ExportNamedDeclaration' ? statement.declaration : statement;
    if (node === null || node.type !== 'VariableDeclaration' || node.kind !== 'var') continue;
    const rewritable = node.declarations.every(
      (d) =>
        d.init !== null &&
        patternNames(d.id).every((name) => declared.get(name) === 1 && !assigned.has(name)),
    );
    if (rewritable) chosen.push(node);
  }

  let out = code;
  // From the end, so the offsets of the earlier declarations still hold.
  for (let i = chosen.length - 1; i >= 0; i--) {
    const start = chosen[i].start;
    out = `${out.slice(0, start)}const${out.slice(start + 'var'.length)}`;
  }
  return {
    code: out,
    rewrites: chosen.map((node) => ({ line: node.loc.start.line - 1, column: node.loc.start.column })),
    names: chosen.flatMap((node) => node.declarations.flatMap((d) => patternNames(d.id))),
  };
}

/** The binding names a declaration or assignment target introduces or writes (not member targets). */
function patternNames(pattern) {
  switch (pattern.type) {
    case 'Identifier':
      return [pattern.name];
    case 'ObjectPattern':
      return pattern.properties.flatMap((p) => patternNames(p.type === 'RestElement' ? p.argument : p.value));
    case 'ArrayPattern':
      return pattern.elements.flatMap((e) => (e === null ? [] : patternNames(e)));
    case 'AssignmentPattern':
      return patternNames(pattern.left);
    case 'RestElement':
      return patternNames(pattern.argument);
    default:
      return []; // a member expression: a property is written, not a binding
  }
}
