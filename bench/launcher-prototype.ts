/**
 * NOT USED BY BATON: the prototype measured for docs/decisions/0006-process-launcher.md,
 * kept so the measurement can be repeated (the decision says how to wire it in). It
 * typechecks and lints with the rest; nothing imports it.
 *
 * Starting task processes through small long-lived launcher processes.
 *
 * Why: child_process.spawn forks the calling process, and on Linux a fork costs in
 * proportion to the caller's memory, synchronously, on the event loop's thread. baton
 * spawning thousands of short tasks spent most of its time there, with the store and the
 * engine waiting behind it. A launcher is a bare Node process (no baton code, a few MB of
 * heap) that does the spawning; baton only sends it requests, so forks happen in another
 * process, two launchers fork in parallel, and baton's thread is free meanwhile.
 *
 * What stays exactly as with a direct spawn: the task leads its own process group
 * (`detached`, setsid), gets the environment and working folder asked for, and its stdio
 * are connected straight to baton: for each task baton opens Unix socket connections to
 * the launcher, the launcher hands its ends to the task as fds 0, 1, 2 and closes its
 * copies, so output flows from the task to baton without passing through the launcher
 * (same streaming, same backpressure). Signals go from baton to the process group
 * directly (process-group.ts), never through the launcher. The launcher reports the pid
 * and, later, the exit status, which it reaps.
 *
 * Lifecycle: launchers start with the first task process and are used once they are
 * ready (until then baton spawns directly). They ignore SIGINT/SIGTERM/SIGHUP (baton
 * decides what happens to tasks) and exit when baton does (their IPC channel closes).
 * If a launcher dies, tasks waiting for it fail to start, running ones are killed and
 * reported as killed, and baton spawns directly from then on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';

/** What runProcessGroup needs to start a process. */
export interface LaunchSpec {
  program: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Give the process a stdin pipe (else /dev/null). */
  stdin: boolean;
}

/**
 * A started process, local (a ChildProcess) or launched: `pid` is set once it runs (at
 * once for a ChildProcess, on 'spawn' for a launched one); events 'spawn', 'error'
 * (could not start), 'exit' (code, signal).
 */
export interface Leader extends EventEmitter {
  pid?: number;
  stdout: Readable | null;
  stderr: Readable | null;
  stdin: Writable | null;
}

/**
 * `auto`: launchers once they are ready, direct spawns before; `direct`: never a launcher;
 * `launcher`: always one, waiting for it to be ready (tests). Default: auto, or
 * BATON_LAUNCHER=direct|launcher.
 */
export type LaunchMode = 'auto' | 'direct' | 'launcher';

let mode: LaunchMode = readMode(process.env.BATON_LAUNCHER);
let pool: LauncherPool | undefined;
/** A launcher failed: direct spawns from now on. */
let broken = false;

export function setLaunchMode(next: LaunchMode): void {
  mode = next;
}

/** Starts a process as its own process group's leader, through a launcher when one is ready. */
export function startLeader(spec: LaunchSpec): Leader {
  if (mode !== 'direct' && !broken) {
    pool ??= new LauncherPool(Math.max(1, Math.min(2, availableParallelism())));
    const launcher = pool.pick(mode === 'launcher');
    if (launcher) return launcher.launch(spec);
  }
  return spawn(spec.program, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    detached: true,
    stdio: [spec.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  }) as ChildProcess & Leader;
}

function readMode(value: string | undefined): LaunchMode {
  return value === 'direct' || value === 'launcher' ? value : 'auto';
}

class LauncherPool {
  private readonly launchers: Launcher[] = [];
  private next = 0;

  constructor(size: number) {
    let dir: string;
    try {
      dir = mkdtempSync(path.join(tmpdir(), 'baton-launch-'));
    } catch {
      broken = true;
      return;
    }
    // Unix socket paths are limited to ~100 bytes.
    if (path.join(dir, 'launcher-0.sock').length > 100) {
      rmSync(dir, { recursive: true, force: true });
      broken = true;
      return;
    }
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    for (let i = 0; i < size; i++) this.launchers.push(new Launcher(path.join(dir, `launcher-${i}.sock`)));
  }

  /** A ready launcher, round robin; with `wait`, one that is still starting will do. */
  pick(wait: boolean): Launcher | undefined {
    const n = this.launchers.length;
    for (let i = 0; i < n; i++) {
      const launcher = this.launchers[this.next++ % n];
      if (launcher.state === 'ready' || (wait && launcher.state === 'starting')) return launcher;
    }
    return undefined;
  }
}

class RemoteLeader extends EventEmitter implements Leader {
  pid?: number;
  stdin: Writable | null;
  exited = false;

  constructor(
    readonly stdout: net.Socket,
    readonly stderr: net.Socket,
    private readonly stdinSocket: net.Socket | undefined,
  ) {
    super();
    // Written only once the process runs: before that the launcher still reads the
    // connection (for its header) and would take the bytes.
    this.stdin = stdinSocket ? new PassThrough() : null;
  }

  started(pid: number): void {
    this.pid = pid;
    if (this.stdin && this.stdinSocket) {
      this.stdinSocket.on('error', (err) => this.stdin?.emit('error', err));
      this.stdin.pipe(this.stdinSocket);
    }
    this.emit('spawn');
  }

  failed(err: Error): void {
    this.stdinSocket?.destroy();
    this.stdout.destroy();
    this.stderr.destroy();
    this.emit('error', err);
  }

  ended(code: number | null, signal: NodeJS.Signals | null): void {
    this.exited = true;
    this.stdinSocket?.destroy();
    this.emit('exit', code, signal);
  }
}

type Reply =
  | { ready: true }
  | { id: number; pid: number }
  | { id: number; error: { code?: string; errno?: number; syscall?: string; message: string } }
  | { id: number; exit: [number | null, NodeJS.Signals | null] };

class Launcher {
  state: 'starting' | 'ready' | 'dead' = 'starting';
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, RemoteLeader>();
  /** Launches asked for while it was starting (mode `launcher`). */
  private readonly queued: Array<() => void> = [];
  private ids = 0;

  constructor(private readonly socketPath: string) {
    this.child = spawn(process.execPath, ['-e', LAUNCHER_SOURCE, socketPath], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'json',
    });
    this.child.on('message', (reply: Reply) => this.reply(reply));
    this.child.on('error', () => this.die());
    this.child.on('exit', () => this.die());
    this.idle();
  }

  launch(spec: LaunchSpec): Leader {
    const id = ++this.ids;
    // Errors on these connections (the launcher gone) end in 'close'; die() reports them.
    const socket = () => new net.Socket().on('error', () => {});
    const sockets = [spec.stdin ? socket() : undefined, socket(), socket()];
    const leader = new RemoteLeader(sockets[1]!, sockets[2]!, sockets[0]);
    this.pending.set(id, leader);
    if (this.pending.size === 1) this.busy();
    const send = () => {
      sockets.forEach((s, fd) => s?.connect(this.socketPath).write(`${id} ${fd}\n`));
      this.child.send({ id, program: spec.program, args: spec.args, cwd: spec.cwd, env: spec.env, stdin: spec.stdin });
    };
    if (this.state === 'ready') send();
    else this.queued.push(send);
    return leader;
  }

  private reply(reply: Reply): void {
    if ('ready' in reply) {
      if (this.state !== 'starting') return;
      this.state = 'ready';
      for (const send of this.queued.splice(0)) send();
      return;
    }
    const leader = this.pending.get(reply.id);
    if (!leader) return;
    if ('pid' in reply) return leader.started(reply.pid);
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.idle();
    if ('error' in reply) return leader.failed(Object.assign(new Error(reply.error.message), reply.error));
    leader.ended(reply.exit[0], reply.exit[1]);
  }

  /** Keeps baton running while tasks wait for their exit status; lets it exit otherwise. */
  private busy(): void {
    this.child.ref();
    this.child.channel?.ref();
  }

  private idle(): void {
    this.child.unref();
    this.child.channel?.unref();
  }

  private die(): void {
    if (this.state === 'dead') return;
    this.state = 'dead';
    broken = true;
    this.queued.length = 0;
    for (const [id, leader] of this.pending) {
      this.pending.delete(id);
      if (leader.pid === undefined) {
        leader.failed(new Error('the process launcher stopped before the task started'));
      } else {
        // Its exit status is lost with the launcher: make sure it is gone, and say it was killed.
        try {
          process.kill(-leader.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        leader.ended(null, 'SIGKILL');
      }
    }
  }
}

/**
 * The launcher itself: plain CommonJS for `node -e`, so it needs no file of its own and
 * loads nothing of baton. Requests come over IPC; each task's stdio connections arrive on
 * the Unix socket, each starting with a `<id> <fd>\n` header.
 */
const LAUNCHER_SOURCE = `
'use strict';
const { spawn } = require('child_process');
const net = require('net');
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => {});
process.on('disconnect', () => process.exit(0));
const waiting = new Map();
const entry = (id) => { let e = waiting.get(id); if (!e) { e = { fds: [] }; waiting.set(id, e); } return e; };
const send = (message) => { if (process.connected) process.send(message); };
function tryStart(id) {
  const e = waiting.get(id);
  if (!e || !e.request || !e.fds[1] || !e.fds[2] || (e.request.stdin && !e.fds[0])) return;
  waiting.delete(id);
  const r = e.request;
  const close = () => { for (const s of e.fds) if (s) s.destroy(); };
  let child;
  try {
    child = spawn(r.program, r.args, { cwd: r.cwd, env: r.env, detached: true, stdio: [r.stdin ? e.fds[0] : 'ignore', e.fds[1], e.fds[2]] });
  } catch (err) {
    close();
    return send({ id, error: { code: err.code, message: err.message } });
  }
  close();
  child.on('error', (err) => { if (child.pid === undefined) send({ id, error: { code: err.code, errno: err.errno, syscall: err.syscall, message: err.message } }); });
  if (child.pid === undefined) return;
  send({ id, pid: child.pid });
  child.on('exit', (code, signal) => send({ id, exit: [code, signal] }));
}
process.on('message', (request) => { entry(request.id).request = request; tryStart(request.id); });
const server = net.createServer((socket) => {
  let header = '';
  const onData = (chunk) => {
    header += chunk;
    const nl = header.indexOf('\\n');
    if (nl < 0) return;
    socket.removeListener('data', onData);
    socket.pause();
    const [id, fd] = header.slice(0, nl).split(' ').map(Number);
    entry(id).fds[fd] = socket;
    tryStart(id);
  };
  socket.setEncoding('utf8');
  socket.on('data', onData);
  socket.on('error', () => {});
});
server.listen(process.argv[1], () => send({ ready: true }));
`;
