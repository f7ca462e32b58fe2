/** The UI's reader of server-sent events (ui/src/lib/sse.ts), on bodies cut at awkward places. */
import { describe, expect, it } from 'vitest';
import { readSse, type LiveItem } from '../../ui/src/lib/sse.js';

function body(chunks: string[]): ReadableStream<Uint8Array> {
  const bytes = chunks.map((c) => new TextEncoder().encode(c));
  return new ReadableStream({
    start(controller) {
      for (const b of bytes) controller.enqueue(b);
      controller.close();
    },
  });
}

async function all(stream: ReadableStream<Uint8Array>): Promise<LiveItem[]> {
  const out: LiveItem[] = [];
  for await (const item of readSse(stream)) out.push(item);
  return out;
}

describe('readSse', () => {
  it('reads id, event and data, skips keep-alive comments, and joins blocks split across chunks', async () => {
    const text = 'id: 1.0\nevent: RunStarted\ndata: {"type":"RunStarted"}\n\n: keep-alive\n\nid: 1.1\nevent: log\ndata: {"text":"héllo"}\n\n';
    const whole = await all(body([text]));
    expect(whole).toEqual([
      { id: '1.0', event: 'RunStarted', data: { type: 'RunStarted' } },
      { id: '1.1', event: 'log', data: { text: 'héllo' } },
    ]);
    // Every cut, even inside the two bytes of é, reads the same.
    const bytes = new TextEncoder().encode(text);
    for (let cut = 1; cut < bytes.length; cut += 7) {
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes.slice(0, cut));
          controller.enqueue(bytes.slice(cut));
          controller.close();
        },
      });
      expect(await all(stream)).toEqual(whole);
    }
  });

  it('takes CRLF line ends and a multi-line data field', async () => {
    const text = 'id: 7\r\nevent: x\r\ndata: {"a":\r\ndata: 1}\r\n\r\n';
    expect(await all(body([text]))).toEqual([{ id: '7', event: 'x', data: { a: 1 } }]);
    // Cut between CR and LF: still one item, not an empty line ending it early.
    for (let cut = 1; cut < text.length; cut++) expect(await all(body([text.slice(0, cut), text.slice(cut)])), `cut at ${cut}`).toEqual([{ id: '7', event: 'x', data: { a: 1 } }]);
  });
});
