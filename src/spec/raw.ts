/** Reading raw (parsed, not yet validated) values defensively: wrong kinds read as absent. */
export type RawMap = Record<string, unknown>;

export function isMap(value: unknown): value is RawMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function has(map: RawMap, key: string): boolean {
  return Object.hasOwn(map, key) && map[key] !== undefined;
}

export function str(map: RawMap, key: string): string | undefined {
  const value = Object.hasOwn(map, key) ? map[key] : undefined;
  return typeof value === 'string' ? value : undefined;
}

export function num(map: RawMap, key: string): number | undefined {
  const value = Object.hasOwn(map, key) ? map[key] : undefined;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function bool(map: RawMap, key: string): boolean | undefined {
  const value = Object.hasOwn(map, key) ? map[key] : undefined;
  return typeof value === 'boolean' ? value : undefined;
}

export function map(map: RawMap, key: string): RawMap | undefined {
  const value = Object.hasOwn(map, key) ? map[key] : undefined;
  return isMap(value) ? value : undefined;
}

/** A string or list of strings (non-strings dropped). */
export function strings(map: RawMap, key: string): string[] {
  const value = Object.hasOwn(map, key) ? map[key] : undefined;
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The entries of a list field, each with its index (so positions can be found). */
export function listEntries(map: RawMap, key: string): Array<{ value: string; container: object; key: string | number }> {
  const value = Object.hasOwn(map, key) ? map[key] : undefined;
  if (typeof value === 'string') return [{ value, container: map, key }];
  if (!Array.isArray(value)) return [];
  return value.flatMap((v, i) => (typeof v === 'string' ? [{ value: v, container: value, key: i }] : []));
}

/** Scalars as environment-variable text. */
export function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}
