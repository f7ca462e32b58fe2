/**
 * Columns that SQLite and PostgreSQL return in different shapes, read one way. The row
 * readings beside this file take such a column as its widest type and narrow it here, so
 * each store keeps its driver's answer and no second copy of the reading.
 */

/** A truth value: SQLite answers 0 or 1, PostgreSQL true or false; NULL (unknown) is not true. */
export function sqlBoolean(value: boolean | number | null): boolean {
  return value === true || value === 1;
}

/**
 * How a store turns a JSON text column back into a value: SQLite reports text that does not
 * parse as damage to its file (sqlite-rows.ts parseRow), PostgreSQL uses JSON.parse.
 */
export type ParseJson = (text: string) => unknown;
