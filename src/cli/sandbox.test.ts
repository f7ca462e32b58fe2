import { describe, expect, it } from 'vitest';
import type { Project } from '../config/project.js';
import { requestedSandbox, sandboxFlag } from './sandbox.js';

describe('--sandbox [mode]', () => {
  it('alone means workspace-write; off and workspace-write are modes', () => {
    expect(sandboxFlag(undefined, 'flow.yaml')).toEqual({ argument: 'flow.yaml' });
    expect(sandboxFlag(true, 'flow.yaml')).toEqual({ mode: 'workspace-write', argument: 'flow.yaml' });
    expect(sandboxFlag('off', 'flow.yaml')).toEqual({ mode: 'off', argument: 'flow.yaml' });
    expect(sandboxFlag('workspace-write', undefined)).toEqual({ mode: 'workspace-write', argument: undefined });
  });

  it('takes the word it swallowed back as the argument it displaced (`baton run --sandbox flow.yaml`)', () => {
    expect(sandboxFlag('flow.yaml', undefined)).toEqual({ mode: 'workspace-write', argument: 'flow.yaml' });
  });

  it('a word that is no mode, with the argument there too, is SANDBOX_MODE', () => {
    expect(() => sandboxFlag('workspace', 'flow.yaml')).toThrow(expect.objectContaining({ code: 'SANDBOX_MODE', message: expect.stringContaining('--sandbox "workspace" is not a mode: write --sandbox') }));
  });
});

describe('the sandbox a new run asks for', () => {
  const project = (sandbox?: Project['config']['sandbox']): Project => ({ root: '/work/app', home: '/work/app/.baton', config: sandbox ? { sandbox } : {} });

  it('none unless the flag or the config asks; the flag wins', () => {
    expect(requestedSandbox(undefined, project())).toBeUndefined();
    expect(requestedSandbox('off', project({ mode: 'workspace-write', network: false, writable: [] }))).toBeUndefined();
    expect(requestedSandbox(undefined, project({ mode: 'workspace-write', network: false, writable: [] }))).toEqual({ mode: 'workspace-write', network: false, writable: ['/work/app'] });
  });

  it("the project first, then the config's writable folders and network, even when the flag turns it on", () => {
    const config = { mode: 'off' as const, network: true, writable: ['/srv/out'] };
    expect(requestedSandbox(undefined, project(config))).toBeUndefined();
    expect(requestedSandbox('workspace-write', project(config))).toEqual({ mode: 'workspace-write', network: true, writable: ['/work/app', '/srv/out'] });
  });
});
