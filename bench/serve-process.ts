/** A real `baton serve` for a benchmark: started in `dir` on any free port, resolved once it says where it listens. */
import { spawn, type ChildProcess } from 'node:child_process';

export async function startServer(bin: string, dir: string, env: NodeJS.ProcessEnv = process.env): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--grace', '0'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const base = await new Promise<string>((resolve, reject) => {
    let log = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const match = /listening on (http:\/\/[^\s]+)/.exec(log);
      if (match) resolve(match[1]);
    });
    child.on('exit', () => reject(new Error(`baton serve exited:\n${log}`)));
  });
  return { child, base };
}
