import { describe, expect, it } from 'vitest';
import { parseStepArgs } from './step.js';

describe('baton step arguments', () => {
  it('takes the id, options anywhere before --, and the command after it', () => {
    expect(parseStepArgs(['restart[web-1]', '--retry', '3', '--delay=2s', '--backoff', 'linear', '--timeout', '30', '--', 'ssh', 'web-1', '--force'])).toEqual({
      id: 'restart[web-1]',
      command: ['ssh', 'web-1', '--force'],
      retry: { attempts: 3, delay_ms: 2000, backoff: 'linear' },
      timeout_ms: 30_000,
    });
    // A bare --delay is in milliseconds (as retry.delay in a workflow file), a bare --timeout in seconds.
    expect(parseStepArgs(['--retry', '2', '--delay', '250', 'x', '--', 'true']).retry).toEqual({ attempts: 2, delay_ms: 250 });
  });

  it('lets the -- out when the command does not start with a dash', () => {
    expect(parseStepArgs(['list', 'ls', '-la'])).toEqual({ id: 'list', command: ['ls', '-la'] });
  });

  it.each([
    [[], /missing the step id/],
    [['x'], /missing the command to run as step x/],
    [['x', '--'], /missing the command/],
    [['x', '--retries', '3', '--', 'true'], /unknown option '--retries'/],
    [['x', '-r', '3', '--', 'true'], /unknown option '-r'/],
    [['x', '--delay', '1s', '--', 'true'], /--delay shapes retries: give --retry N too/],
    [['x', '--retry', '3', '--backoff', 'random', '--', 'true'], /--backoff must be fixed, linear or exponential/],
    [['x', '--retry', '3', '--delay', 'soon', '--', 'true'], /--delay "soon" is not a duration/],
    [['x', '--timeout', '0', '--', 'true'], /--timeout must be more than 0/],
    [['x', '--timeout'], /option '--timeout' needs a value/],
  ])('refuses %j with a usage error', (args, message) => {
    expect(() => parseStepArgs(args)).toThrow(message);
    try {
      parseStepArgs(args);
    } catch (err) {
      expect((err as { code: string }).code).toBe('CLI_USAGE');
    }
  });

  it('wants a whole number of tries for --retry', () => {
    for (const bad of ['0', '1.5', 'three']) expect(() => parseStepArgs(['x', '--retry', bad, '--', 'true'])).toThrow(expect.objectContaining({ code: 'CLI_BAD_NUMBER' }));
  });
});
