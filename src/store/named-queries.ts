/**
 * The stores keep their SQL in .sql files, each statement under a `-- name: x` line
 * (sqlite/*.sql, postgres/*.sql); this reads them, for every SQL store.
 */

/** Splits a .sql file into its statements by their `-- name: x` lines. */
export function parseNamedQueries(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let name: string | undefined;
  let body: string[] = [];
  const done = () => {
    if (name !== undefined) out.set(name, body.join('\n').trim());
  };
  for (const line of text.split('\n')) {
    const marker = /^--\s*name:\s*(\w+)\s*$/.exec(line);
    if (marker) {
      done();
      name = marker[1];
      body = [];
    } else if (name !== undefined && !line.startsWith('--')) {
      body.push(line);
    }
  }
  done();
  return out;
}
