/**
 * Putting expression values into a URL so they stay data.
 *
 * As with shell commands (shell.ts), the template's literal text decides where each
 * `${ }` lands, and the value is written in the one form that part of the URL reads back
 * as data:
 *
 *   scheme, authority (user, host, port)   refused: a value there could send the request,
 *                                          and its credentials, to another server
 *   path                                   percent-encoded as one segment (`/` `?` `#` `%`
 *                                          `\` encoded); a segment that a value makes `.`
 *                                          or `..` is refused, since it would climb the path
 *   query, fragment                        percent-encoded as one component (`&` `=` `#`...)
 *
 * A template that is one whole expression (`url: ${ ... }`) is taken as deliberate: its
 * value is the URL, whatever it holds. That is how a URL whose host comes from data is
 * written (`${ format('https://{0}/status', inputs.host) }`). So is a first expression
 * followed by a path, query or fragment (`${ inputs.base_url }/health`): it gives the
 * whole base URL, and what follows it is encoded as usual. A value inside a host
 * (`http://${ x }.api.example`) or before `://` is refused, by `validate` and at run time.
 */

export type UrlPlace = 'scheme' | 'authority' | 'path' | 'query' | 'fragment';

/** Follows the literal text of a URL template and knows which part of the URL comes next. */
export class UrlReader {
  place: UrlPlace = 'scheme';
  /** Right after `scheme:`, where the `//` before the host may still come. */
  private leading = false;
  /** Offsets (in what was fed) where the path starts and ends; end -1 while in it. */
  pathStart = -1;
  pathEnd = -1;
  private at = 0;

  feed(text: string): void {
    for (const c of text) {
      this.step(c);
      this.at += c.length;
    }
  }

  /** Advances over `length` characters of a value, which cannot change the place. */
  skip(length: number): void {
    this.at += length;
  }

  private step(c: string): void {
    switch (this.place) {
      case 'scheme':
        if (c === ':') {
          this.place = 'authority';
          this.leading = true;
        } else if (c === '/' || c === '\\') this.enter('path');
        else if (c === '?') this.enter('query');
        else if (c === '#') this.enter('fragment');
        return;
      case 'authority':
        if (this.leading && (c === '/' || c === '\\')) return;
        this.leading = false;
        if (c === '/' || c === '\\') this.enter('path');
        else if (c === '?') this.enter('query');
        else if (c === '#') this.enter('fragment');
        return;
      case 'path':
        if (c === '?') this.enter('query');
        else if (c === '#') this.enter('fragment');
        return;
      case 'query':
        if (c === '#') this.enter('fragment');
        return;
      case 'fragment':
        return;
    }
  }

  private enter(place: UrlPlace): void {
    if (place === 'path') this.pathStart = this.at;
    else if (this.place === 'path') this.pathEnd = this.at;
    this.place = place;
  }
}

export class UnsafeUrlValue extends Error {}

/** Builds a URL from literal text and values, encoding each value for where it lands. */
export class UrlBuilder {
  private readonly reader = new UrlReader();
  private out = '';
  private readonly values: { start: number; end: number }[] = [];

  text(text: string): void {
    this.reader.feed(text);
    this.out += text;
  }

  /** Adds a value; throws UnsafeUrlValue where no encoding keeps it data. */
  value(value: string): void {
    const place = this.reader.place;
    if (place === 'scheme' || place === 'authority') {
      throw new UnsafeUrlValue(`it would be part of the URL's ${place === 'scheme' ? 'scheme' : 'host'}, where it could send the request elsewhere`);
    }
    const encoded = encodeURIComponent(value);
    this.values.push({ start: this.out.length, end: this.out.length + encoded.length });
    this.reader.skip(encoded.length);
    this.out += encoded;
  }

  /** The URL; throws UnsafeUrlValue when values made a path segment `.` or `..`. */
  finish(): string {
    const { pathStart } = this.reader;
    if (pathStart >= 0) {
      const end = this.reader.pathEnd >= 0 ? this.reader.pathEnd : this.out.length;
      let from = pathStart;
      for (let i = pathStart; i <= end; i++) {
        if (i < end && this.out[i] !== '/' && this.out[i] !== '\\') continue;
        const segment = this.out.slice(from, i);
        if (DOT_SEGMENT.test(segment) && this.values.some((v) => v.start < i && v.end > from)) {
          throw new UnsafeUrlValue(`it makes the path segment '${segment}', which would climb the URL's path`);
        }
        from = i + 1;
      }
    }
    return this.out;
  }
}

/** What URL parsers read as `.` or `..` (WHATWG decodes `%2e` there). */
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/**
 * The `${ format(...) }` that says the same as a template (for hints): each `${ x }`
 * becomes a `{N}` argument.
 */
export function asFormat(parts: readonly ({ kind: 'text'; text: string } | { kind: 'expr'; body: string })[]): string {
  let pattern = '';
  const args: string[] = [];
  for (const part of parts) {
    if (part.kind === 'text') pattern += part.text.replace(/[{}]/g, '$&$&').replaceAll("'", "''");
    else {
      pattern += `{${args.length}}`;
      args.push(part.body.trim());
    }
  }
  return `\${ format('${pattern}', ${args.join(', ')}) }`;
}
