/**
 * What the monitor reads from a raw terminal, as key names. Terminals send arrows and the
 * like as escape sequences (CSI `ESC [ A`, or SS3 `ESC O A` in application mode), and a
 * chunk may hold several keys (pasted, or typed faster than read); a lone ESC is Escape.
 */

export type Key = 'up' | 'down' | 'pageup' | 'pagedown' | 'home' | 'end' | 'enter' | 'escape' | 'backspace' | 'ctrl-c' | 'tab' | (string & {});

const SEQUENCES: ReadonlyArray<[string, Key]> = [
  ['\x1b[A', 'up'],
  ['\x1bOA', 'up'],
  ['\x1b[B', 'down'],
  ['\x1bOB', 'down'],
  ['\x1b[5~', 'pageup'],
  ['\x1b[6~', 'pagedown'],
  ['\x1b[H', 'home'],
  ['\x1bOH', 'home'],
  ['\x1b[1~', 'home'],
  ['\x1b[F', 'end'],
  ['\x1bOF', 'end'],
  ['\x1b[4~', 'end'],
];

/** The keys in a chunk of terminal input, in order; sequences the monitor has no use for are dropped whole. */
export function parseKeys(chunk: string): Key[] {
  const keys: Key[] = [];
  let i = 0;
  while (i < chunk.length) {
    const rest = chunk.slice(i);
    const known = SEQUENCES.find(([seq]) => rest.startsWith(seq));
    if (known) {
      keys.push(known[1]);
      i += known[0].length;
      continue;
    }
    const c = chunk[i];
    if (c === '\x1b') {
      // Another sequence (ESC [ params final, or ESC O x): skipped; ESC alone is Escape.
      // eslint-disable-next-line no-control-regex -- escape sequences are what this reads
      const other = /^\x1b(\[[0-9;?]*[ -/]*[@-~]|O.)/.exec(rest);
      if (other) i += other[0].length;
      else {
        keys.push('escape');
        i++;
      }
      continue;
    }
    i++;
    if (c === '\r' || c === '\n') keys.push('enter');
    else if (c === '\x7f' || c === '\b') keys.push('backspace');
    else if (c === '\x03') keys.push('ctrl-c');
    else if (c === '\t') keys.push('tab');
    else if (c >= ' ') keys.push(c);
  }
  return keys;
}
