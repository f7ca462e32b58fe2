// git-changed-files: the files changed on `head` since it forked from `base`
// (`git diff --name-only base...head`, what a pull request shows), optionally only those
// matching `paths`. git is spawned with an argument list, never through a shell.
import { spawn } from 'node:child_process';
import { SkillError, badInput, input, main } from './lib.mjs';

const MAX_FILES = 10_000;

main(async () => {
  const repo = input('repo', '.');
  const base = revision('base', 'HEAD~1');
  const head = revision('head', 'HEAD');
  const filter = input('diff_filter', '').trim();
  if (!/^[ADMTUXB]*$/i.test(filter)) throw badInput(`input diff_filter: ${JSON.stringify(filter)} is not made of git's status letters (A added, D deleted, M modified, T type changed; lowercase excludes; a rename counts as D and A)`);
  const paths = input('paths', '').split(',').map((p) => p.trim()).filter((p) => p !== '');
  // A renamed file is listed under both names (a deletion and an addition): a move out of a
  // folder is a change to that folder.
  const args = ['-C', repo, 'diff', '--name-only', '-z', '--no-renames'];
  if (filter !== '') args.push(`--diff-filter=${filter}`);
  args.push(`${base}...${head}`, '--', ...paths.map((p) => `:(glob)${p}`));
  // Outside a repository, git diff would compare two folders instead (--no-index): ask first.
  await git(['-C', repo, 'rev-parse', '--git-dir'], { repo, base, head });
  const out = await git(args, { repo, base, head });
  const files = out.split('\0').filter((name) => name !== '');
  return { files: files.slice(0, MAX_FILES), count: files.length, truncated: files.length > MAX_FILES };
});

/** A revision from the input `name`; one starting with `-` would be read by git as an option. */
function revision(name, fallback) {
  const value = input(name, fallback).trim();
  if (value.startsWith('-') || /\s|\.\.|\0/.test(value)) throw badInput(`input ${name}: ${JSON.stringify(value)} is not a revision (a branch, a tag, a commit, HEAD~1)`);
  return value;
}

function git(args, { repo, base, head }) {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
    const out = [];
    let err = '';
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (text) => (err = (err + text).slice(-2000)));
    child.on('error', (error) =>
      reject(error.code === 'ENOENT' ? new SkillError('TOOL_MISSING', 'git is not on PATH: install git', 2) : new SkillError('GIT_FAILED', `cannot start git: ${error.message}`)),
    );
    child.on('close', (code) => {
      if (code === 0) return resolve(Buffer.concat(out).toString('utf8'));
      const said = err.trim().split('\n').filter((l) => l.trim() !== '').slice(-2).join(' / ');
      if (/not a git repository|cannot change to/i.test(said)) return reject(new SkillError('GIT_FAILED', `${repo} is not a git repository (git: ${said}); set repo to the repository's folder`, 2));
      if (/unknown revision|bad revision|ambiguous argument|no merge base|invalid symmetric difference/i.test(said)) {
        return reject(new SkillError('GIT_FAILED', `${base}...${head} cannot be compared in ${repo} (git: ${said}); check that both are commits there (a repository with one commit has no HEAD~1; a shallow clone needs more history: git fetch --deepen=50, or fetch the base branch)`, 2));
      }
      reject(new SkillError('GIT_FAILED', `git ${args.join(' ')} failed (exit ${code}): ${said}`));
    });
  });
}
