/**
 * A real terminal for tests of full-screen commands: a tmux session on a server of the
 * test's own (its own socket, so neither a tmux the developer runs nor its environment
 * gets in), 120x40 unless asked otherwise. The command runs under `sh`, which prints
 * `EXITED <code>` when it ends and keeps the pane open, so what the command left on the
 * terminal can still be read, and whether it left the alternate screen.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';

export class Terminal {
  private static count = 0;
  readonly name: string;
  private readonly socket: string;

  /** Starts `command` (argv, run with `env` added to a clean environment) in `cwd`. */
  constructor(command: readonly string[], options: { cwd: string; env?: Record<string, string>; columns?: number; rows?: number }) {
    this.name = `baton-test-${process.pid}-${++Terminal.count}`;
    this.socket = this.name;
    const quoted = command.map(quote).join(' ');
    const env = Object.entries({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TERM: 'xterm-256color', ...options.env }).map(([k, v]) => `${k}=${quote(v)}`);
    const script = `cd ${quote(options.cwd)} && env -i ${env.join(' ')} ${quoted}; echo "EXITED $?"; sleep 3600`;
    this.tmux(['new-session', '-d', '-x', String(options.columns ?? 120), '-y', String(options.rows ?? 40), '-s', this.name, 'sh', '-c', script]);
  }

  /** The screen as text, one line per row (no colours). */
  screen(): string {
    return this.tmux(['capture-pane', '-p', '-t', this.name]);
  }

  /** Types keys: tmux key names (Enter, Escape, Up, BSpace, C-c) or text. */
  keys(...keys: string[]): void {
    this.tmux(['send-keys', '-t', this.name, ...keys]);
  }

  /** Resizes the terminal (the command gets SIGWINCH). */
  resize(columns: number, rows: number): void {
    this.tmux(['resize-window', '-t', this.name, '-x', String(columns), '-y', String(rows)]);
  }

  /** A tmux format of the pane: `#{alternate_on}`, `#{cursor_flag}`... */
  format(format: string): string {
    return this.tmux(['display-message', '-p', '-t', this.name, format]).trim();
  }

  /** Resolves with the screen once `test` holds for it; fails after `timeoutMs`, showing the screen. */
  async waitFor(test: RegExp | string | ((screen: string) => boolean), what: string, timeoutMs = 30_000): Promise<string> {
    const check = typeof test === 'function' ? test : (s: string) => (typeof test === 'string' ? s.includes(test) : test.test(s));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (check(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen:\n${screen}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Ends the session and its server (and so the command, if it still runs), and removes its socket. */
  close(): void {
    const socket = spawnSync('tmux', ['-L', this.socket, 'display-message', '-p', '#{socket_path}'], { encoding: 'utf8' }).stdout.trim();
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { encoding: 'utf8' });
    // tmux leaves the socket file behind.
    if (socket !== '') rmSync(socket, { force: true });
  }

  private tmux(args: string[]): string {
    const r = spawnSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
    if (r.error) throw new Error(`tmux is needed by this test and could not be run (${r.error.message}): install it (apt-get install tmux; .ci/run does)`);
    if (r.status !== 0) throw new Error(`tmux ${args[0]} failed: ${r.stderr}`);
    return r.stdout;
  }
}

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
