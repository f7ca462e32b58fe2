/** Server-sent events read from a fetch body (lib/live.ts says why not EventSource). No DOM: tested under Node. */

export interface LiveItem {
  id: string;
  /** The event's type (`RunStarted`, `TaskSucceeded`...) or `log` for a log line. */
  event: string;
  data: Record<string, unknown>;
}

/** The SSE items of a response body, as they arrive. Comments (`: keep-alive`) are skipped. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<LiveItem> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  // A chunk ending in CR may be half of a CRLF: held back until the next one says.
  let heldCr = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    let text = heldCr + decoder.decode(value, { stream: true });
    heldCr = text.endsWith('\r') ? '\r' : '';
    if (heldCr) text = text.slice(0, -1);
    buffer += text.replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const item = parseBlock(block);
      if (item) yield item;
    }
  }
}

export function parseBlock(block: string): LiveItem | undefined {
  let id = '';
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return undefined;
  return { id, event, data: JSON.parse(data.join('\n')) as Record<string, unknown> };
}
