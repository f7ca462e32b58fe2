import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baton, ROOT, tempDir, writeWorkflow } from './helpers.js';

/**
 * skills/baton/SKILL.md teaches agents to use baton: it must be a valid skill, its
 * workflows must validate (and the ones that can run here, run), and every command and
 * option it shows must be one baton has.
 */
const DIR = path.join(ROOT, 'skills', 'baton');
const FILES = ['SKILL.md', ...readdirSync(path.join(DIR, 'references')).map((f) => path.join('references', f))];
const texts = FILES.map((file) => ({ file, text: readFileSync(path.join(DIR, file), 'utf8') }));

function blocks(lang: string): Array<{ file: string; body: string }> {
  return texts.flatMap(({ file, text }) => [...text.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\``, 'gm'))].map((m) => ({ file, body: m[1] })));
}

describe('skills/baton (the skill that teaches baton)', () => {
  it('passes baton skills validate with no warning', () => {
    const r = baton(['skills', 'validate', DIR]);
    expect(r.stdout).toBe('1 skill: valid\n');
    expect(r.status).toBe(0);
  });

  it('its YAML and TypeScript workflows validate', () => {
    const workflows = [...blocks('yaml').map((b) => ({ ...b, ext: 'yaml' })), ...blocks('ts').map((b) => ({ ...b, ext: 'ts' }))].filter((b) => /^name:|export default workflow\(/m.test(b.body));
    expect(workflows.length).toBeGreaterThanOrEqual(2);
    for (const w of workflows) {
      const r = baton(['validate', writeWorkflow(w.body, `flow.${w.ext}`)]);
      expect(r.stdout + r.stderr, `${w.file}: ${w.body.slice(0, 60)}`).toMatch(/: valid/);
    }
  });

  it('the `baton run -` example runs from standard input; the TypeScript example runs to its approval (exit 4)', () => {
    const sh = blocks('sh').find((b) => b.body.includes('baton run - --json <<'));
    const heredoc = /<<'EOF'\n([\s\S]*?)\nEOF/.exec(sh!.body)![1];
    const piped = baton(['run', '-', '--json', '--store', 'memory'], { cwd: tempDir(), input: heredoc });
    expect(piped.status, piped.stderr).toBe(0);
    expect(JSON.parse(piped.stdout)).toMatchObject({ status: 'succeeded', workflow: { name: 'disk-report' } });

    const ts = blocks('ts').find((b) => b.body.includes('ctx.approval'))!;
    const waiting = baton(['run', writeWorkflow(ts.body, 'flow.ts'), '--json']);
    expect(waiting.status, waiting.stderr).toBe(4);
    expect(JSON.parse(waiting.stdout)).toMatchObject({ status: 'waiting', waits: [{ task: 'go-live', kind: 'approval' }] });
  });

  it('every command and option it shows is one baton has', () => {
    // Lines of code (fenced blocks and `inline` spans) that call baton.
    const code = texts.flatMap(({ text }) => [...text.matchAll(/^```\w*\n([\s\S]*?)^```/gm)].map((m) => m[1]).concat([...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1])));
    const calls = code.flatMap((c) => c.split('\n')).flatMap((line) => [...line.matchAll(/\bbaton ([a-z]+)((?: (?!\$\()[^\s|#<]+)*)/g)]);
    const helps = new Map<string, string>();
    const checked = new Set<string>();
    for (const [, command, rest] of calls) {
      const words = rest.trim().split(/\s+/).filter((w) => w !== '');
      const sub = ['skills', 'skill'].includes(command) && /^[a-z]+$/.test(words[0] ?? '') ? words.shift()! : undefined;
      const key = sub === undefined ? command : `${command} ${sub}`;
      if (!helps.has(key)) {
        const r = baton([...key.split(' '), '--help']);
        expect(r.status, `baton ${key} --help: ${r.stderr}`).toBe(0);
        helps.set(key, r.stdout);
      }
      // Options up to `--` (after it comes the step's own command).
      const options = words.slice(0, words.includes('--') ? words.indexOf('--') : undefined).filter((w) => /^--?[a-zA-Z][\w-]*$/.test(w));
      for (const option of options) {
        expect(helps.get(key), `baton ${key} ${option}`).toMatch(new RegExp(`(^|[ ,])${option}\\b`, 'm'));
        checked.add(`${key} ${option}`);
      }
    }
    expect(helps.size).toBeGreaterThan(15);
    expect(checked.size).toBeGreaterThan(15);
  });
});
