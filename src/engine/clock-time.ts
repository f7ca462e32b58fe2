/** `12:00:31`: a time of day in local time, as CIRCUIT_OPEN messages and the views of circuits give it. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}
