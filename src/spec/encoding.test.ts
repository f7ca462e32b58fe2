import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { decodeUtf8, firstInvalidByte } from './encoding.js';
import { loadWorkflowFile } from './load.js';

const GOOD = 'name: x\ntasks:\n  - id: a\n    command: echo café ☕ 𝄞\n';

function fileOf(bytes: Uint8Array): string {
  const file = join(mkdtempSync(join(tmpdir(), 'baton-enc-')), 'flow.yaml');
  writeFileSync(file, bytes);
  return file;
}

describe('decodeUtf8', () => {
  test('UTF-8, with or without a byte order mark, is read as is', () => {
    expect(decodeUtf8(Buffer.from(GOOD))).toEqual({ text: GOOD });
    expect(decodeUtf8(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(GOOD)]))).toEqual({ text: GOOD });
  });

  test('a Latin-1 byte is refused at its line, column and byte offset', () => {
    const bytes = Buffer.concat([Buffer.from('name: x\ntasks:\n  - id: caf'), Buffer.from([0xe9]), Buffer.from('\n    command: echo\n')]);
    const result = decodeUtf8(bytes);
    expect(result).toEqual({
      problem: expect.objectContaining({ line: 3, col: 12, byte: 26, message: 'the file is not UTF-8: byte 0xE9 at line 3, column 12 (byte offset 26) is not valid UTF-8' }),
    });
  });

  test('columns count characters, not bytes, before the bad byte', () => {
    const bytes = Buffer.concat([Buffer.from('a: "☕𝄞'), Buffer.from([0xff]), Buffer.from('"\n')]);
    expect(decodeUtf8(bytes)).toEqual({ problem: expect.objectContaining({ line: 1, col: 8, byte: 11 }) });
  });

  test.each([
    ['a lone continuation byte', [0x61, 0x80], 1],
    ['an overlong encoding of /', [0x61, 0xc0, 0xaf], 1],
    ['an overlong three-byte form', [0xe0, 0x80, 0xaf], 0],
    ['a UTF-16 surrogate', [0xed, 0xa0, 0x80], 0],
    ['past U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
    ['a sequence cut short by the end', [0x61, 0x62, 0xe2, 0x98], 2],
    ['a sequence cut short by ASCII', [0xe2, 0x61, 0x62], 0],
  ])('%s', (_, bytes, at) => {
    expect(firstInvalidByte(Uint8Array.from(bytes))).toBe(at);
    expect(decodeUtf8(Uint8Array.from(bytes))).toHaveProperty('problem.byte', at);
  });

  test.each([
    ['UTF-16 (little-endian, with a byte order mark)', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(GOOD, 'utf16le')])],
    ['UTF-16 (big-endian, with a byte order mark)', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(GOOD, 'utf16le').swap16()])],
    ['UTF-16 (little-endian, without a byte order mark)', Buffer.from(GOOD, 'utf16le')],
    ['UTF-16 (big-endian, without a byte order mark)', Buffer.from(GOOD, 'utf16le').swap16()],
    ['UTF-32 (little-endian, with a byte order mark)', Buffer.from([0xff, 0xfe, 0, 0, 0x6e, 0, 0, 0])],
  ])('%s is named as such', (what, bytes) => {
    expect(decodeUtf8(bytes)).toEqual({ problem: expect.objectContaining({ message: `the file is ${what}; workflow files must be UTF-8`, line: 1, col: 1, byte: 0 }) });
  });
});

describe('loadWorkflowFile', () => {
  test('a Latin-1 file is refused with SPEC_ENCODING where the bad byte is, not read with U+FFFD in its place', async () => {
    const bytes = Buffer.concat([Buffer.from('name: x\ntasks:\n  - id: a\n    command: echo caf'), Buffer.from([0xe9]), Buffer.from('\n')]);
    const result = await loadWorkflowFile(fileOf(bytes));
    expect(result.workflow).toBeUndefined();
    expect(result.diagnostics).toEqual([expect.objectContaining({ severity: 'error', code: 'SPEC_ENCODING', line: 4, col: 22 })]);
    expect(result.diagnostics[0].message).toContain('byte offset 46');
    expect(result.diagnostics[0].hint).toContain('UTF-8');
  });

  test('a UTF-16 file is refused as UTF-16', async () => {
    const result = await loadWorkflowFile(fileOf(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(GOOD, 'utf16le')])));
    expect(result.diagnostics).toEqual([expect.objectContaining({ code: 'SPEC_ENCODING', line: 1, col: 1, message: 'the file is UTF-16 (little-endian, with a byte order mark); workflow files must be UTF-8' })]);
  });

  test('a UTF-8 file with a byte order mark loads', async () => {
    const result = await loadWorkflowFile(fileOf(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(GOOD)])));
    expect(result.workflow?.tasks[0]).toMatchObject({ command: 'echo café ☕ 𝄞' });
  });
});
