import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { formatDiagnostic } from '../spec/diagnostics.js';
import { loadProject, parseConfig } from './project.js';

const parsed = (text: string) => parseConfig(text, 'baton.config.yaml');
const problems = (text: string) => parsed(text).diagnostics.map((d) => formatDiagnostic(d).split('\n')[0]);
const channels = (text: string) => parsed(text).config?.notifications?.channels;

describe('notifications: in baton.config.yaml', () => {
  test('named webhook channels: a URL or the variable holding it, a signing key from a variable, headers', () => {
    const text = 'notifications:\n  channels:\n    ops: {url_env: OPS_HOOK_URL, secret_env: OPS_HOOK_KEY}\n    dev: {type: webhook, url: "http://127.0.0.1:9000/hook", headers: {X-Team: dev, X-N: 2}}\n';
    expect(parsed(text).config).toEqual({
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
        'notifications:\n  channels:\n    a: {url: "http://h/x", secret: k3y}\n    b: {url: "http://h/x", url_env: X}\n    c: {secret_env: K}\n    d: {type: slak, url: "http://h/x"}\n    e: {url: "ftp://h"}\n    f: {url_env: "not a name"}\n  on_failure: true\n',
      ),
    ).toEqual([
      "baton.config.yaml:3:28: error CONFIG_UNKNOWN_FIELD: unknown setting 'notifications.channels.a.secret'",
      'baton.config.yaml:4:28: error CONFIG_TYPE: `notifications.channels.b`: give one of url, url_env or url_file, not url and url_env',
      'baton.config.yaml:5:5: error CONFIG_TYPE: `notifications.channels.c` needs url, url_env or url_file',
      "baton.config.yaml:6:15: error CONFIG_TYPE: `notifications.channels.d.type` must be one of webhook, slack, email, command (did you mean 'slack'?)",
      'baton.config.yaml:7:14: error CONFIG_TYPE: `notifications.channels.e.url` must be an http:// or https:// URL',
      'baton.config.yaml:8:18: error CONFIG_TYPE: `notifications.channels.f.url_env` must name an environment variable (letters, digits, _)',
      "baton.config.yaml:9:3: error CONFIG_UNKNOWN_FIELD: unknown setting 'notifications.on_failure'",
    ]);
    // The hint says where the key goes instead.
    expect(parsed('notifications:\n  channels:\n    a: {url: "http://h/x", secret: k3y}\n').diagnostics[0].hint).toBe(
      'a signing key is never written here: put it in an environment variable named by secret_env, or in a file named by secret_file',
    );
    expect(problems('notifications: [ops]\n')).toEqual(['baton.config.yaml:1:16: error CONFIG_TYPE: `notifications` must be a mapping: channels']);
  });

  test('a webhook whose URL and key are in files', () => {
    expect(channels('notifications:\n  channels:\n    ops: {url_file: secrets/hook-url, secret_file: /run/secrets/hook-key}\n')).toEqual({
      ops: { type: 'webhook', url_file: 'secrets/hook-url', secret_file: '/run/secrets/hook-key', headers: {} },
    });
    expect(problems('notifications:\n  channels:\n    ops: {url_env: U, secret_env: K, secret_file: /k}\n')).toEqual([
      'baton.config.yaml:3:38: error CONFIG_TYPE: `notifications.channels.ops`: give either secret_env or secret_file, not both',
    ]);
  });
});

describe('notifications: slack channels', () => {
  test('the URL from SLACK_WEBHOOK_URL unless given; channel, username and icon overrides', () => {
    const text = 'notifications:\n  channels:\n    team: {type: slack}\n    deploys: {type: slack, url_env: DEPLOY_HOOK, channel: "#deployments", username: Workflow Orchestrator, icon_emoji: ":gear:"}\n';
    expect(channels(text)).toEqual({
      team: { type: 'slack', url_env: 'SLACK_WEBHOOK_URL' },
      deploys: { type: 'slack', url_env: 'DEPLOY_HOOK', channel: '#deployments', username: 'Workflow Orchestrator', icon_emoji: ':gear:' },
    });
  });

  test('a bad icon, a token, two URLs', () => {
    expect(problems('notifications:\n  channels:\n    a: {type: slack, icon_emoji: gear}\n    b: {type: slack, token: xoxb-1}\n    c: {type: slack, url_env: A, url_file: /b}\n')).toEqual([
      'baton.config.yaml:3:34: error CONFIG_TYPE: `notifications.channels.a.icon_emoji` must be an emoji code such as :gear:',
      "baton.config.yaml:4:22: error CONFIG_UNKNOWN_FIELD: unknown setting 'notifications.channels.b.token'",
      'baton.config.yaml:5:34: error CONFIG_TYPE: `notifications.channels.c`: give one of url, url_env or url_file, not url_env and url_file',
    ]);
  });
});

describe('notifications: email channels', () => {
  test('an SMTP server as fields with a user and a password from the environment or a file, or as a URL', () => {
    const text = [
      'notifications:',
      '  channels:',
      '    oncall:',
      '      type: email',
      '      to: [oncall@example.com, "Lead <lead@example.com>"]',
      '      from: baton <baton@example.com>',
      '      subject: baton says',
      '      smtp: {host: smtp.example.com, port: 465, secure: true, user: baton, password_file: /run/secrets/smtp}',
      '    dev: {type: email, to: dev@example.com, from: baton@example.com, url_env: SMTP_URL}',
      '    local: {type: email, to: me@localhost, from: baton@localhost, url: "smtp://127.0.0.1:25"}',
      '    env: {type: email, to: a@b.c, from: d@e.f, smtp: {host: h, user_env: SMTP_USER, password_env: SMTP_PASSWORD}}',
      '',
    ].join('\n');
    expect(channels(text)).toEqual({
      oncall: {
        type: 'email',
        to: ['oncall@example.com', 'Lead <lead@example.com>'],
        from: 'baton <baton@example.com>',
        subject: 'baton says',
        smtp: { host: 'smtp.example.com', port: 465, secure: true, user: 'baton', password_file: '/run/secrets/smtp' },
      },
      dev: { type: 'email', to: ['dev@example.com'], from: 'baton@example.com', url_env: 'SMTP_URL' },
      local: { type: 'email', to: ['me@localhost'], from: 'baton@localhost', url: 'smtp://127.0.0.1:25' },
      env: { type: 'email', to: ['a@b.c'], from: 'd@e.f', smtp: { host: 'h', user_env: 'SMTP_USER', password_env: 'SMTP_PASSWORD' } },
    });
  });

  test('a password in clear or in a URL, no server, no recipients, no sender, a user without a password', () => {
    const text = [
      'notifications:',
      '  channels:',
      '    a: {type: email, to: a@b.c, from: d@e.f, smtp: {host: h, user: u, password: hunter2}}',
      '    b: {type: email, to: a@b.c, from: d@e.f, url: "smtp://u:hunter2@h:587"}',
      '    c: {type: email, to: a@b.c, from: d@e.f}',
      '    d: {type: email, from: d@e.f, url_env: U}',
      '    e: {type: email, to: [a@b.c, nobody], url_env: U}',
      '    f: {type: email, to: a@b.c, from: d@e.f, smtp: {host: h, user_env: U}}',
      '',
    ].join('\n');
    const found = problems(text);
    expect(found).toEqual([
      "baton.config.yaml:3:71: error CONFIG_UNKNOWN_FIELD: unknown setting 'notifications.channels.a.smtp.password'",
      'baton.config.yaml:4:51: error CONFIG_TYPE: `notifications.channels.b.url` holds a password',
      'baton.config.yaml:5:5: error CONFIG_TYPE: `notifications.channels.c` needs smtp, url, url_env or url_file',
      'baton.config.yaml:6:5: error CONFIG_TYPE: `notifications.channels.d` needs to: who gets the email (an address or a list)',
      "baton.config.yaml:7:5: error CONFIG_TYPE: `notifications.channels.e` needs from: the sender's address",
      'baton.config.yaml:7:34: error CONFIG_TYPE: `notifications.channels.e.to` must hold email addresses (name@domain), one per entry',
      'baton.config.yaml:8:62: error CONFIG_TYPE: `notifications.channels.f.smtp` has a user and no password',
    ]);
    expect(found.join('\n')).not.toContain('hunter2');
    expect(parsed(text).diagnostics[0].hint).toBe('a password is never written here: put it in an environment variable named by password_env, or in a file named by password_file');
  });
});

describe('notifications: command channels', () => {
  test('an argument list, or a string run by sh -c; a timeout, 30 s by default', () => {
    const text = 'notifications:\n  channels:\n    page: {type: command, command: [./page.sh, --team, sre], timeout: 5s, cwd: scripts}\n    log: {type: command, command: "cat >> notices.jsonl"}\n';
    expect(channels(text)).toEqual({
      page: { type: 'command', command: ['./page.sh', '--team', 'sre'], cwd: 'scripts', timeout_ms: 5000 },
      log: { type: 'command', command: ['sh', '-c', 'cat >> notices.jsonl'], timeout_ms: 30_000 },
    });
  });

  test('no command, an empty one, a bad timeout', () => {
    expect(problems('notifications:\n  channels:\n    a: {type: command}\n    b: {type: command, command: []}\n    c: {type: command, command: [x], timeout: soon}\n')).toEqual([
      'baton.config.yaml:3:5: error CONFIG_TYPE: `notifications.channels.a` needs command: the program and its arguments',
      'baton.config.yaml:4:33: error CONFIG_TYPE: `notifications.channels.b.command` must be a list: the program, then its arguments (or one string, run by sh -c)',
      'baton.config.yaml:5:47: error CONFIG_TYPE: `notifications.channels.c.timeout` must be a duration above zero (30s, 2m; a bare number is seconds)',
    ]);
  });
});

test("loading the project makes the channels' files absolute, relative to baton.config.yaml, and a command runs in its folder", () => {
  const root = mkdtempSync(path.join(tmpdir(), 'baton-channels-'));
  writeFileSync(
    path.join(root, 'baton.config.yaml'),
    [
      'notifications:',
      '  channels:',
      '    ops: {url_file: secrets/url, secret_file: /abs/key}',
      '    mail: {type: email, to: a@b.c, from: d@e.f, smtp: {host: h, user_file: secrets/user, password_file: secrets/pw}}',
      '    page: {type: command, command: [./page.sh]}',
      '    log: {type: command, command: [./log.sh], cwd: scripts}',
      '',
    ].join('\n'),
  );
  const found = loadProject({ cwd: root, env: {} }).config.notifications!.channels;
  expect(found.ops).toMatchObject({ url_file: path.join(root, 'secrets/url'), secret_file: '/abs/key' });
  expect(found.mail).toMatchObject({ smtp: { user_file: path.join(root, 'secrets/user'), password_file: path.join(root, 'secrets/pw') } });
  expect(found.page).toMatchObject({ cwd: root });
  expect(found.log).toMatchObject({ cwd: path.join(root, 'scripts') });
});
