/** Where a rewritten `var` was: 0-based line and column (UTF-16 code units) of the generated file. */
export interface Rewrite {
  line: number;
  column: number;
}

/** How many characters `const` is longer than `var`. */
export declare const WIDENED_BY: number;

/** Rewrites the never-reassigned top-level `var` declarations of an ES module as `const`. */
export declare function constTopLevelBindings(code: string): {
  code: string;
  rewrites: Rewrite[];
  names: string[];
};

/** A source map with the generated columns after each point moved right by `width`. */
export declare function shiftGeneratedColumns(
  map: string | { mappings: string },
  points: readonly Rewrite[],
  width: number,
): { mappings: string; [field: string]: unknown };

/** A tsup plugin: each JavaScript chunk rewritten by `constTopLevelBindings`, its source map moved to match. */
export declare function constBindings(): {
  name: string;
  renderChunk(
    code: string,
    chunk: { type: string; path: string; map?: unknown },
  ): { code: string } | undefined;
};
