import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bwrapArgs, bwrapProgram, notInSandbox, outermost, probeSandbox, sandboxProblem } from './sandbox.js';

const tempDir = () => mkdtempSync(path.join(tmpdir(), 'baton-sandbox-unit-'));

describe('bwrapArgs: the command line of a sandboxed process', () => {
  it('makes the file system read-only but for the folders given, with a private /tmp, no network and no capabilities', () => {
    const args = bwrapArgs({ writable: ['/work/app', '/srv/out'], network: false, cwd: '/work/app', infoFd: 3 }, ['node', 'baton.js', 'run', 'x.sh']);
    const line = args.join(' ');
    expect(line.startsWith('--ro-bind / / --dev /dev --proc /proc --tmpfs /tmp')).toBe(true);
    expect(line).toContain('--bind /srv/out /srv/out --bind /work/app /work/app');
    expect(line).toContain('--unshare-net');
    expect(line).toContain('--cap-drop ALL --new-session --die-with-parent --info-fd 3 --chdir /work/app -- node baton.js run x.sh');
    // The folders are bound after the private /tmp, so a project under /tmp is still there.
    expect(args.indexOf('--bind')).toBeGreaterThan(args.indexOf('--tmpfs'));
  });

  it('with network: no network namespace of its own, and /run left as it is', () => {
    const line = bwrapArgs({ writable: ['/work/app'], network: true }, ['true']).join(' ');
    expect(line).not.toContain('--unshare-net');
    expect(line).not.toContain('--tmpfs /run');
    expect(line).toContain('--chdir / -- true');
  });

  it('keeps readable what the private /tmp would hide (baton installed under /tmp), read-only, before the writable folders', () => {
    const args = bwrapArgs({ writable: ['/tmp/project'], readable: ['/tmp/ci/baton', '/usr/bin', '/tmp'], network: false }, ['node']);
    const line = args.join(' ');
    expect(line).toContain('--ro-bind /tmp/ci/baton /tmp/ci/baton --bind /tmp/project /tmp/project');
    // Only what is hidden is bound again: /usr/bin is visible already, and /tmp itself stays private.
    expect(line).not.toContain('--ro-bind /usr/bin');
    expect(line).not.toContain('--ro-bind /tmp /tmp');
  });

  it('binds each folder once, parents first, none inside another', () => {
    expect(outermost(['/work/app/out', '/work/app', '/srv/x/', '/work/app', '/work/apple'])).toEqual(['/srv/x', '/work/app', '/work/apple']);
  });

  it('takes BATON_BWRAP for the program, else bwrap on PATH', () => {
    expect(bwrapProgram({})).toBe('bwrap');
    expect(bwrapProgram({ BATON_BWRAP: ' ' })).toBe('bwrap');
    expect(bwrapProgram({ BATON_BWRAP: '/opt/bwrap' })).toBe('/opt/bwrap');
  });
});

describe('probeSandbox: refuses, saying why and what to do, where no sandbox can be made', () => {
  it('a missing program: install bubblewrap, or run without the sandbox', () => {
    expect(() => probeSandbox('/nonexistent/bwrap', false)).toThrow(/BATON_BWRAP names \/nonexistent\/bwrap, which does not exist: install it .*--sandbox off.*Nothing ran\./);
  });

  it("a program that fails: its message, how to allow namespaces; the answer is kept for the process", () => {
    const dir = tempDir();
    const fake = path.join(dir, 'fake-bwrap');
    writeFileSync(fake, '#!/bin/sh\n# A fake bwrap for tests.\necho "bwrap: No permissions to create new namespace" >&2\necho ran >> "$(dirname "$0")/calls"\nexit 1\n', { mode: 0o755 });
    for (let i = 0; i < 2; i++) {
      expect(() => probeSandbox(fake, true)).toThrow(
        expect.objectContaining({ code: 'SANDBOX_UNAVAILABLE', message: expect.stringContaining('cannot make the sandbox on this machine: bwrap: No permissions to create new namespace. ') }),
      );
    }
    expect(() => probeSandbox(fake, true)).toThrow(/kernel\.unprivileged_userns_clone=1.*kernel\.apparmor_restrict_unprivileged_userns=0/);
    // Probed once: the second and third calls used the first answer.
    expect(readFileSync(path.join(dir, 'calls'), 'utf8')).toBe('ran\n');
  });
});

describe('notInSandbox: is this process in a sandbox?', () => {
  /** A /proc with the two files it reads. */
  function proc(rootOptions: string, interfaces: string[]): string {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'self'));
    mkdirSync(path.join(dir, 'net'));
    writeFileSync(path.join(dir, 'self', 'mountinfo'), `22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n65 42 254:0 / / ${rootOptions} - ext4 /dev/vda rw\n66 65 0:5 / /tmp rw - tmpfs tmpfs rw\n`);
    const header = 'Inter-|   Receive\n face |bytes    packets\n';
    writeFileSync(path.join(dir, 'net', 'dev'), header + interfaces.map((name) => `  ${name}: 0 0 0\n`).join(''));
    return dir;
  }

  it('in one: the last mount on / is read-only and, without network, loopback is all there is', () => {
    expect(notInSandbox(false, proc('ro,nosuid,nodev', ['lo']))).toBeUndefined();
    expect(notInSandbox(true, proc('ro,relatime', ['lo', 'eth0']))).toBeUndefined();
  });

  it('not in one: says what gives it away', () => {
    expect(notInSandbox(false, proc('rw,relatime', ['lo']))).toBe('its file system is not read-only');
    expect(notInSandbox(false, proc('ro', ['lo', 'eth0', 'docker0']))).toBe('it has network interfaces (eth0, docker0)');
    expect(notInSandbox(false, tempDir())).toMatch(/^its mounts cannot be read/);
  });
});

describe('sandboxProblem: a recorded sandbox resume can enter', () => {
  it('takes a well-formed one and names what is wrong with the others', () => {
    expect(sandboxProblem({ mode: 'workspace-write', network: false, writable: ['/a', '/b'] })).toBeUndefined();
    expect(sandboxProblem(null)).toBe('it is not an object');
    expect(sandboxProblem({ mode: 'read-only', network: false, writable: ['/a'] })).toBe('its mode is "read-only", not "workspace-write"');
    expect(sandboxProblem({ mode: 'workspace-write', writable: ['/a'] })).toBe('`network` is not true or false');
    expect(sandboxProblem({ mode: 'workspace-write', network: true, writable: ['a'] })).toContain('`writable` is not a list of absolute folders');
  });
});
