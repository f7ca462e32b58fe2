/**
 * A value as one shell word, for the commands baton prints as hints (`baton logs RUN
 * 'patch[web3]'`): a task key with `[ ] * ? $`, a space or a quote would be globbed, split
 * or expanded by the shell the hint is pasted into. Every printed command hint goes
 * through here.
 */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9_.:/@%+=,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
