import { describe, expect, it } from 'vitest';
import { checkUrl, renderUrl } from './index.js';

const scope = (inputs: Record<string, unknown>) => ({ contexts: { inputs } });

describe('renderUrl', () => {
  it('percent-encodes a value for the path segment, query value and fragment it lands in', () => {
    const v = 'a/b?c=d&e#f %';
    expect(renderUrl('http://h.example/x/${ inputs.v }/y?q=${ inputs.v }&r=1#${ inputs.v }', scope({ v }))).toBe(
      'http://h.example/x/a%2Fb%3Fc%3Dd%26e%23f%20%25/y?q=a%2Fb%3Fc%3Dd%26e%23f%20%25&r=1#a%2Fb%3Fc%3Dd%26e%23f%20%25',
    );
    expect(new URL(renderUrl('http://h.example/files/${ inputs.v }', scope({ v: '../../admin' }))).pathname).toBe('/files/..%2F..%2Fadmin');
  });

  it('refuses a value in the host, port, user or scheme, whatever it holds', () => {
    for (const t of ['http://${ inputs.v }.api.example/s', 'http://api.example:${ inputs.v }/s', 'http://${ inputs.v }@h/', '${ inputs.v }://h/']) {
      expect(() => renderUrl(t, scope({ v: 'x' })), t).toThrow(expect.objectContaining({ code: 'EXPR_URL' }));
    }
    expect(() => renderUrl('http://${ inputs.region }.api.example/status', scope({ region: '127.0.0.1:18777/pwn#' }))).toThrow(
      /host part|host, where/,
    );
  });

  it('refuses a path segment that values make . or ..', () => {
    for (const v of ['..', '.']) {
      expect(() => renderUrl('http://h/a/${ inputs.v }/b', scope({ v }))).toThrow(/climb/);
      expect(() => renderUrl('http://h/a/${ inputs.v }${ inputs.v }', scope({ v: '.' }))).toThrow(/climb/);
    }
    expect(renderUrl('http://h/a/${ inputs.v }.txt', scope({ v: '..' }))).toBe('http://h/a/...txt');
    expect(renderUrl('http://h/a/../${ inputs.v }', scope({ v: 'b' }))).toBe('http://h/a/../b');
    expect(renderUrl('http://h/a?x=${ inputs.v }', scope({ v: '..' }))).toBe('http://h/a?x=..');
  });

  it('takes a URL that is one whole expression as it is', () => {
    expect(renderUrl("${ format('http://{0}/s', inputs.h) }", scope({ h: '127.0.0.1:1' }))).toBe('http://127.0.0.1:1/s');
    expect(renderUrl('${ inputs.u }', scope({ u: 'http://x.example/a/../b' }))).toBe('http://x.example/a/../b');
  });

  it('takes a first expression followed by a path as the base URL, and encodes what follows', () => {
    const s = scope({ base: 'http://127.0.0.1:9/api', p: '../x', q: 'a&b' });
    expect(renderUrl('${ inputs.base }/items/${ inputs.p }?q=${ inputs.q }', s)).toBe('http://127.0.0.1:9/api/items/..%2Fx?q=a%26b');
    expect(checkUrl('${ inputs.base }/health')).toEqual([]);
    expect(checkUrl('${ inputs.base }?x=1')).toEqual([]);
    for (const t of ['${ inputs.host }.example.com/x', '${ inputs.scheme }://api.example/', '${ inputs.a }${ inputs.b }/x']) {
      expect(checkUrl(t).length, t).toBeGreaterThan(0);
    }
  });
});

describe('checkUrl', () => {
  it('names every ${ } in the scheme or host, with its column and a format() hint', () => {
    const problems = checkUrl("http://${ inputs.region }.api.example/${ inputs.p }");
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'EXPR_URL', col: 8 });
    expect(problems[0].hint).toContain("${ format('http://{0}.api.example/{1}', inputs.region, inputs.p) }");
    expect(checkUrl('https://api.example/${ inputs.p }?q=${ inputs.q }')).toEqual([]);
    expect(checkUrl('${ inputs.url }')).toEqual([]);
  });
});
