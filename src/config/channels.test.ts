import { describe, expect, test } from 'vitest';
import { formatDiagnostic } from '../spec/diagnostics.js';
import { parseConfig } from './project.js';

const problems = (text: string) => parseConfig(text, 'baton.config.yaml').diagnostics.map((d) => formatDiagnostic(d).split('\n')[0]);

describe('notifications: in baton.config.yaml', () => {
  test('named webhook channels: a URL or the variable holding it, a signing key from a variable, headers', () => {
    const text = 'notifications:\n  channels:\n    ops: {url_env: OPS_HOOK_URL, secret_env: OPS_HOOK_KEY}\n    dev: {type: webhook, url: "http://127.0.0.1:9000/hook", headers: {X-Team: dev, X-N: 2}}\n';
    expect(parseConfig(text, 'baton.config.yaml').config).toEqual({
      notifications: {
        channels: {
          ops: { type: 'webhook', url_env: 'OPS_HOOK_URL', secret_env: 'OPS_HOOK_KEY', headers: {} },
          dev: { type: 'webhook', url: 'http://127.0.0.1:9000/hook', headers: { 'X-Team': 'dev', 'X-N': '2' } },
        },
      },
    });
  });

  test('a key written in clear, both or neither of url and url_env, another type, bad names: reported where they are', () => {
    expect(
      problems(
        'notifications:\n  channels:\n    a: {url: "http://h/x", secret: k3y}\n    b: {url: "http://h/x", url_env: X}\n    c: {secret_env: K}\n    d: {type: slack, url: "http://h/x"}\n    e: {url: "ftp://h"}\n    f: {url_env: "not a name"}\n  on_failure: true\n',
      ),
    ).toEqual([
      "baton.config.yaml:3:28: error CONFIG_UNKNOWN_FIELD: unknown setting 'notifications.channels.a.secret'",
      'baton.config.yaml:4:28: error CONFIG_TYPE: `notifications.channels.b`: give either url or url_env, not both',
      'baton.config.yaml:5:5: error CONFIG_TYPE: `notifications.channels.c` needs url, or url_env (the environment variable holding it)',
      'baton.config.yaml:6:15: error CONFIG_TYPE: `notifications.channels.d.type` must be webhook, the kind of channel baton sends to',
      'baton.config.yaml:7:14: error CONFIG_TYPE: `notifications.channels.e.url` must be an http:// or https:// URL',
      'baton.config.yaml:8:18: error CONFIG_TYPE: `notifications.channels.f.url_env` must name an environment variable (letters, digits, _)',
      "baton.config.yaml:9:3: error CONFIG_UNKNOWN_FIELD: unknown setting 'notifications.on_failure'",
    ]);
    // The hint says where the key goes instead.
    expect(parseConfig('notifications:\n  channels:\n    a: {url: "http://h/x", secret: k3y}\n', 'baton.config.yaml').diagnostics[0].hint).toBe(
      'a signing key is never written here: put it in an environment variable and name it with secret_env',
    );
    expect(problems('notifications: [ops]\n')).toEqual(['baton.config.yaml:1:16: error CONFIG_TYPE: `notifications` must be a mapping: channels']);
  });
});
