import { describe, expect, it } from 'vitest';
import { criticalPath, type PathNode } from './critical-path.js';

/** A task that ran from `start` to `end`, waiting for `deps`. */
const ran = (key: string, start: number, end: number, deps: string[] = [], extra: Partial<PathNode> = {}): PathNode => ({ key, deps, start, end, ...extra });
const graph = (...nodes: PathNode[]) => new Map(nodes.map((n) => [n.key, n]));
const keys = (links: { key: string }[]) => links.map((l) => l.key);

describe('the critical path', () => {
  it('of a diamond goes through the slower branch', () => {
    //   a (0-100) -> b (100-400) -> d (410-450)
    //             -> c (105-200) ->
    const nodes = graph(ran('a', 0, 100), ran('b', 100, 400, ['a']), ran('c', 105, 200, ['a']), ran('d', 410, 450, ['b', 'c']));
    const path = criticalPath({ nodes, byTime: false, createdAt: -20 });
    expect(path).toEqual([
      { key: 'a', start: 0, end: 100, waited: 20 },
      { key: 'b', start: 100, end: 400, waited: 0 },
      { key: 'd', start: 410, end: 450, waited: 10 },
    ]);
    // Make the other branch slower and the path moves with it.
    const slowC = graph(ran('a', 0, 100), ran('b', 100, 150, ['a']), ran('c', 105, 400, ['a']), ran('d', 410, 450, ['b', 'c']));
    expect(keys(criticalPath({ nodes: slowC, byTime: false, createdAt: 0 }))).toEqual(['a', 'c', 'd']);
  });

  it('sees through a composite to the task inside it that ended last, and goes on from what the composite waited for', () => {
    // setup -> par{fast, slow} -> report; an on_failure callback `page` triggered by report ends last.
    const nodes = graph(
      ran('setup', 0, 10),
      ran('par', 10, 300, ['setup']),
      ran('fast', 10, 50, [], { parent: 'par' }),
      ran('slow', 11, 300, [], { parent: 'par' }),
      ran('report', 300, 320, ['par']),
      ran('page', 321, 330, [], { trigger: 'report' }),
      { key: 'skipped', deps: ['setup'] },
    );
    expect(keys(criticalPath({ nodes, byTime: false, createdAt: 0 }))).toEqual(['setup', 'slow', 'report', 'page']);
  });

  it("follows a sequential loop's iterations, each waiting for the one before", () => {
    const nodes = graph(ran('loop', 0, 90), ran('loop[a]', 0, 30, [], { parent: 'loop' }), ran('loop[b]', 30, 60, ['loop[a]'], { parent: 'loop' }), ran('loop[c]', 60, 90, ['loop[b]'], { parent: 'loop' }), ran('after', 90, 95, ['loop']));
    expect(keys(criticalPath({ nodes, byTime: false, createdAt: 0 }))).toEqual(['loop[a]', 'loop[b]', 'loop[c]', 'after']);
  });

  it('of a code run orders steps by time: each waited for the step that ended last before it started', () => {
    // fetch, then a map of three items two at a time, then report. `log` overlapped fetch.
    const nodes = graph(
      ran('fetch', 5, 50),
      ran('log', 6, 20),
      ran('renew', 50, 200),
      ran('renew[a]', 50, 100, [], { parent: 'renew' }),
      ran('renew[b]', 50, 150, [], { parent: 'renew' }),
      ran('renew[c]', 100, 200, [], { parent: 'renew' }),
      ran('report', 200, 210),
    );
    expect(criticalPath({ nodes, byTime: true, createdAt: 0 })).toEqual([
      { key: 'fetch', start: 5, end: 50, waited: 5 },
      { key: 'renew[a]', start: 50, end: 100, waited: 0 },
      { key: 'renew[c]', start: 100, end: 200, waited: 0 },
      { key: 'report', start: 200, end: 210, waited: 0 },
    ]);
  });

  it('takes, of tasks that ended in the same millisecond, the one that started later', () => {
    // report took no time at all: it ended in the millisecond slow ended, after it.
    const code = graph(ran('fetch', 0, 10), ran('slow', 10, 50), ran('report', 50, 50));
    expect(keys(criticalPath({ nodes: code, byTime: true, createdAt: 0 }))).toEqual(['fetch', 'slow', 'report']);
    const file = graph(ran('a', 0, 10), ran('b', 10, 20, ['a']), ran('c', 20, 20, ['b']));
    expect(keys(criticalPath({ nodes: file, byTime: false, createdAt: 0 }))).toEqual(['a', 'b', 'c']);
  });

  it('is empty when nothing ran', () => {
    expect(criticalPath({ nodes: graph({ key: 'a', deps: [] }), byTime: false, createdAt: 0 })).toEqual([]);
  });
});
