/** Reads a CHECK constraint of the migrated database as the set of values a column may hold (npm run db:types). */

/**
 * The allowed values of a one-column CHECK constraint of the shapes `col = ANY (ARRAY[...])`
 * or `col <@ ARRAY[...]` (possibly AND-ed with other conditions on the same column), or
 * null when the constraint says something else (an OR could widen the set).
 */
export function allowedValues(column: string, definition: string): string[] | null {
  if (/\bOR\b/.test(definition)) return null;
  const id = column.replace(/[^a-z0-9_]/gi, "");
  const m = new RegExp(`\\(${id} (?:= ANY \\(ARRAY|<@ ARRAY)\\[([^\\]]*)\\]`).exec(definition);
  if (!m) return null;
  const values: string[] = [];
  for (const item of m[1].split(",")) {
    const v = /^\s*'((?:[^']|'')*)'::text\s*$/.exec(item);
    if (!v) return null;
    values.push(v[1].replace(/''/g, "'"));
  }
  return values.length > 0 ? values : null;
}
