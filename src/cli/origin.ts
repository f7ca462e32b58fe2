/**
 * `--origin` (hidden): who asked for what a command records, when it is not a person
 * typing it. `baton mcp` starts `baton run`, `resume`, `retry` and `cancel` with
 * `--origin mcp`; the run's events then say so (RequestOrigin in store/events.ts).
 */
import { Option } from 'commander';
import type { RequestOrigin } from '../store/events.js';

export interface OriginFlags {
  origin?: RequestOrigin;
}

export const ORIGINS: readonly RequestOrigin[] = ['mcp'];

/** The hidden option, on every command that starts, continues or answers a run. */
export function originOption(): Option {
  return new Option('--origin <origin>', 'who asks, recorded in the run\'s events').choices(ORIGINS).hideHelp();
}

/** `{ origin }` for the engine's options, or nothing. */
export function originOf(flags: OriginFlags): { origin?: RequestOrigin } {
  return flags.origin === undefined ? {} : { origin: flags.origin };
}
