import { corrupt } from './sqlite-errors.js';

/** A stored JSON column; text that does not parse means damaged pages (SQLite does not check inside overflow pages). */
export function parseRow(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw corrupt(file, err);
  }
}
