import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OUTPUTS_MAX_BYTES, parseOutputs, readOutputsFile } from './outputs-file.js';
import { testIO } from './test-support.js';

describe('outputs file', () => {
  it('parses name=value lines; later lines win, values keep their = and spaces', () => {
    expect(parseOutputs('a=1\n\nb= two = 2 \r\na=3\nempty=\n')).toEqual({ a: '3', b: ' two = 2 ', empty: '' });
  });

  it('parses heredoc values up to the delimiter line', () => {
    expect(parseOutputs('log<<END_OF_LOG\nfirst\n\nEOF is not it\nEND_OF_LOG\nafter=1\n')).toEqual({
      log: 'first\n\nEOF is not it',
      after: '1',
    });
    expect(() => parseOutputs('log<<EOF\nnever closed\n')).toThrow(/no closing line "EOF"/);
  });

  it('parses one JSON object, keeping its types', () => {
    expect(parseOutputs(' \n{"n": 1, "ok": true, "list": [1, 2]}\n')).toEqual({ n: 1, ok: true, list: [1, 2] });
    expect(() => parseOutputs('{"n": ')).toThrow(/not valid JSON/);
  });

  it('names the line that is neither form', () => {
    expect(() => parseOutputs('a=1\nhello world\n')).toThrow(/line 2 .* neither name=value nor name<<DELIMITER/);
    expect(() => parseOutputs('__proto__=x')).toThrow(/not allowed/);
  });

  it('reads nothing from a missing or blank file, and refuses a huge one', async () => {
    const dir = testIO().baseDir;
    await expect(readOutputsFile(join(dir, 'none'))).resolves.toBeUndefined();
    writeFileSync(join(dir, 'blank'), '\n');
    await expect(readOutputsFile(join(dir, 'blank'))).resolves.toBeUndefined();
    writeFileSync(join(dir, 'huge'), 'a='.padEnd(OUTPUTS_MAX_BYTES + 10, 'x'));
    await expect(readOutputsFile(join(dir, 'huge'))).rejects.toMatchObject({ code: 'SCRIPT_OUTPUT' });
  });
});
