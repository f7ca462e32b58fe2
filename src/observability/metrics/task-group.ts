/**
 * The name a task's figures are kept under. A loop's iterations (`envs[qa]`, `envs[3]`), a
 * map's items (`renew[web1]`) and a step called again (`poll#3`) are one task in the
 * workflow, so they are counted as one: `envs[*]`, `renew[*]`, `poll`. Otherwise a loop over
 * 10,000 hosts would be 10,000 rows, and no two runs would share them.
 *
 * The first bracket of a key is an iteration (loops and maps key their items so). Later
 * brackets are the iteration's insides: `[then]`/`[else]` branches and `[0]`, `[1]` the
 * parallel tasks of its template, kept; any other label is a loop nested in it, folded. A
 * compensation (`compensate[deploy]`) is named after the task it undoes.
 */
export function taskGroup(key: string): string {
  const compensated = /^compensate\[(.*)\]$/.exec(key);
  if (compensated) return `compensate[${taskGroup(compensated[1])}]`;
  const open = key.indexOf('[');
  const head = (open < 0 ? key : key.slice(0, open)).replace(/#\d+$/, '');
  if (open < 0) return head;
  const parts: string[] = [];
  // Labels may hold brackets of their own (`envs[a[1]]`): match them by depth.
  let depth = 0;
  let start = open;
  for (let i = open; i < key.length; i++) {
    if (key[i] === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (key[i] === ']' && --depth === 0) {
      parts.push(key.slice(start + 1, i));
    }
  }
  const inside = parts.slice(1).map((label) => (/^(\d+|then|else)$/.test(label) ? `[${label}]` : '[*]'));
  return `${head}[*]${inside.join('')}`;
}
