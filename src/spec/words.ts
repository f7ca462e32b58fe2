/**
 * A command written as one string where a list of arguments is run (a docker task's
 * `command: npm test -- --grep 'slow tests'`), split into arguments as a shell would split
 * it, without running one: whitespace separates words; '...' keeps what it holds as it is;
 * in "..." a backslash escapes only " \ and $; outside quotes a backslash escapes any
 * character. Nothing else is special: `$HOME`, `*`, `|` and `>` are plain characters (no
 * shell runs to give them a meaning). A `${ ... }` template is kept whole, as written, in
 * the word it is in, so its value, put in when the task runs, is always part of one
 * argument and can never become several.
 */
import { scanTemplate } from '../expr/template.js';

export type Split = { words: string[] } | { error: string; index: number };

export function splitWords(text: string): Split {
  const templates = new Map<number, number>();
  if (text.includes('${')) {
    for (const part of scanTemplate(text).parts) if (part.kind === 'expr') templates.set(part.start, part.end);
  }
  const words: string[] = [];
  let word: string | undefined;
  let quote: "'" | '"' | undefined;
  let quoteAt = 0;
  for (let i = 0; i < text.length; i++) {
    const end = templates.get(i);
    if (end !== undefined) {
      word = (word ?? '') + text.slice(i, end);
      i = end - 1;
      continue;
    }
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < text.length && '"\\$'.includes(text[i + 1])) word += text[++i];
      else word += c;
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
      quoteAt = i;
      word ??= '';
    } else if (c === '\\') {
      if (i + 1 >= text.length) return { error: 'the command ends with a lone backslash', index: i };
      word = (word ?? '') + text[++i];
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote !== undefined) return { error: `the ${quote === "'" ? 'single' : 'double'} quote here is never closed`, index: quoteAt };
  if (word !== undefined) words.push(word);
  return { words };
}
