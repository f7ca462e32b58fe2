/**
 * The expressions of a workflow, checked against the workflow once its graph is known:
 * syntax; names that are no context (`input.release`), or a context the task does not
 * have (`item` outside a loop); inputs, secrets and tasks that are not declared;
 * properties that `tasks.x`, `trigger`, `run` and `workflow` do not have; reads of
 * `tasks.x` before x ends (expr-order.ts); a `${ }` the shell would choke on; and a bare
 * `${item}` in a command that also sets a shell variable `item`.
 *
 * What is an expression and what is left for the shell is decided by the same function as
 * at run time (src/expr, isBareContext), given the contexts the task has here.
 */
import { KNOWN_CONTEXTS, inspectCondition, inspectTemplate, literalInShell, type ContextRead, type Name } from '../expr/index.js';
import type { Reporter } from './diagnostics.js';
import type { ExprSite } from './exprs.js';
import { checkOrder, Ordering, type TaskRead } from './expr-order.js';
import { inLoop } from './graph-rules.js';
import type { Normalized } from './normalize.js';
import type { TaskNode } from './normalize-task.js';
import type { Key, Loc } from './positions.js';
import { closest, didYouMean } from './suggest.js';

/** What `tasks.x` holds (scope.ts, TaskContext); in a callback `trigger` has these and `id`. */
const TASK_FIELDS = ['status', 'exit_code', 'outputs', 'error', 'error_code', 'reason', 'attempts', 'duration_ms'];
/** What fired the run (store/events.ts, RunTrigger): `trigger` outside a callback, and `run.trigger`. */
const RUN_TRIGGER_FIELDS = ['type', 'at', 'firing', 'schedule', 'webhook', 'payload', 'headers', 'delivery', 'files', 'event', 'data', 'run', 'message'];
const FIELDS: Record<string, string[]> = { run: ['id', 'trigger'], workflow: ['name', 'version'], trigger: RUN_TRIGGER_FIELDS, callerTrigger: ['id', ...TASK_FIELDS] };
const ALWAYS = ['env', 'inputs', 'tasks', 'run', 'workflow', 'secrets', 'trigger'];

export function checkExpressions(model: Normalized, rep: Reporter): void {
  const ordering = new Ordering(model.nodes);
  const checker = new Checker(model, ordering, rep);
  for (const site of model.exprs.list) checker.site(site);
  checkOrder(ordering, checker.taskReads, rep);
}

class Checker {
  readonly taskReads: TaskRead[] = [];
  private readonly nodeOf = new Map<object, TaskNode>();
  /** Lower-cased id -> task, for `tasks.x` (read without regard to case, as at run time). */
  private readonly byId = new Map<string, TaskNode>();
  private readonly loops = new Set<string>();
  private readonly inputs: string[];
  private readonly secrets: string[];

  private readonly compensations: Set<object>;

  constructor(
    model: Normalized,
    private readonly ordering: Ordering,
    private readonly rep: Reporter,
  ) {
    this.compensations = model.compensations;
    for (const node of model.nodes) {
      this.nodeOf.set(node.raw, node);
      const id = node.spec.id.toLowerCase();
      if (!this.byId.has(id)) this.byId.set(id, node);
      if (node.spec.type === 'loop') this.loops.add(id);
    }
    this.inputs = Object.keys(model.workflow.inputs);
    this.secrets = model.workflow.secrets ?? [];
  }

  site(site: ExprSite): void {
    const value = (site.container as Record<Key, unknown>)[site.key] as string;
    const node = site.task === undefined ? undefined : this.nodeOf.get(site.task);
    const contexts = new Set(ALWAYS);
    if (node !== undefined && inLoop(node) !== undefined) contexts.add('item').add('index');
    if (site.kind === 'outputs') contexts.add('result');
    const seen = site.kind === 'condition' ? inspectCondition(value) : inspectTemplate(value, contexts);
    const at = (index: number): Loc => this.rep.index.charLoc(site.container, site.key, index);
    for (const p of seen.problems) this.rep.error('SPEC_EXPR_SYNTAX', p.message, at(p.col - 1), p.hint);
    // The workflow's outputs are read when every task has ended: no order to check.
    const ordered = site.kind !== 'run-outputs';
    // A compensation, like a callback, reads the task it answers as `trigger`.
    const callback = (node !== undefined && this.ordering.triggers.has(node)) || (site.task !== undefined && this.compensations.has(site.task));
    for (const read of seen.reads) this.read(read, node, contexts, at, ordered, callback);
    const literal = site.kind === 'command' ? literalInShell(value) : () => false;
    for (const offset of seen.shell) this.shellText(value, offset, site, literal, node, at);
    const sets = new Map<string, boolean>();
    if (site.kind === 'command') for (const bare of seen.bare) this.assigned(value, bare, sets, at);
  }

  private read(read: ContextRead, node: TaskNode | undefined, contexts: Set<string>, at: (i: number) => Loc, ordered: boolean, callback: boolean): void {
    const name = read.name.toLowerCase();
    if (!KNOWN_CONTEXTS.includes(name)) return this.unknownContext(read, at);
    if (!contexts.has(name)) return this.unavailable(name, node, at(read.at));
    const [first, second] = read.path;
    if (first === undefined) return;
    switch (name) {
      case 'inputs':
        if (!this.inputs.some((i) => i.toLowerCase() === first.name.toLowerCase())) this.unknownInput(first, at);
        return;
      case 'secrets':
        if (!this.secrets.some((s) => s.toLowerCase() === first.name.toLowerCase())) {
          this.rep.error('SPEC_UNKNOWN_SECRET', `secret '${first.name}' is not declared in \`secrets:\`, so secrets.${first.name} is always empty${didYouMean(first.name, this.secrets)}`, at(first.at), `add ${first.name} to the workflow's \`secrets:\` list (its value comes from the environment, and is masked in logs)`);
        }
        return;
      case 'tasks':
        return this.taskRead(first, second, node, at, ordered);
      case 'run':
      case 'workflow':
        return this.field(`${name}`, first, FIELDS[name], at);
      case 'trigger':
        if (!callback && !FIELDS.trigger.includes(first.name.toLowerCase()) && FIELDS.callerTrigger.includes(first.name.toLowerCase())) {
          this.rep.error('SPEC_UNKNOWN_PROPERTY', `trigger has no '${first.name}' (outside a callback, \`trigger\` is what fired the run)`, at(first.at), `a callback (a task named in on_success/on_failure) reads the task that called it as trigger.${first.name}; here trigger has: ${FIELDS.trigger.join(', ')}`);
          return;
        }
        return this.field('trigger', first, FIELDS[callback ? 'callerTrigger' : 'trigger'], at);
    }
  }

  private taskRead(first: Name, second: Name | undefined, node: TaskNode | undefined, at: (i: number) => Loc, ordered: boolean): void {
    const target = this.byId.get(first.name.toLowerCase());
    if (target === undefined) {
      // `tasks['loop[qa]']`: an iteration of a loop, known only when the loop starts.
      const loop = /^(.+)\[[^\]]*\]/.exec(first.name)?.[1];
      if (loop !== undefined && this.loops.has(loop.toLowerCase())) return;
      const mean = didYouMean(first.name, [...this.byId.values()].filter((n) => n.spec.explicit_id).map((n) => n.spec.id));
      this.rep.error('SPEC_UNKNOWN_TASK', `tasks.${first.name} names no task${mean}`, at(first.at), 'a task is read by its id: tasks.<id>.outputs, tasks.<id>.status, ...');
      return;
    }
    const loop = inLoop(target);
    if (loop !== undefined) {
      this.rep.error('SPEC_UNKNOWN_TASK', `there is no task '${target.spec.id}' at run time: it runs once per item of loop '${loop.spec.id}', as '${loop.spec.id}[<item>]'`, at(first.at), `read the loop's results instead: tasks.${loop.spec.id}.outputs.results`);
      return;
    }
    if (second !== undefined) this.field(`tasks.${first.name}`, second, TASK_FIELDS, at);
    if (!ordered) return;
    const read: TaskRead = { target, loc: at(first.at) };
    if (node !== undefined) read.reader = node;
    this.taskReads.push(read);
  }

  private field(what: string, name: Name, fields: string[], at: (i: number) => Loc): void {
    if (fields.includes(name.name.toLowerCase())) return;
    this.rep.error('SPEC_UNKNOWN_PROPERTY', `${what} has no '${name.name}'${didYouMean(name.name, fields)}`, at(name.at), `${what} has: ${fields.join(', ')}`);
  }

  private unknownInput(input: Name, at: (i: number) => Loc): void {
    const hint = this.inputs.length === 0 ? `the workflow declares no inputs: add \`inputs: { ${input.name}: ... }\`` : `declare it under \`inputs:\` (declared: ${this.inputs.join(', ')})`;
    this.rep.error('SPEC_UNKNOWN_INPUT', `input '${input.name}' is not declared${didYouMean(input.name, this.inputs)}`, at(input.at), hint);
  }

  private unknownContext(name: Name, at: (i: number) => Loc): void {
    const match = closest(name.name, KNOWN_CONTEXTS);
    const mean = match === undefined ? '' : ` (did you mean '${match}'?)`;
    this.rep.error('SPEC_UNKNOWN_CONTEXT', `'${name.name}' is not a context${mean}`, at(name.at), `contexts are ${KNOWN_CONTEXTS.join(', ')}; a shell variable is written $NAME or \${NAME}`);
  }

  private unavailable(name: string, node: TaskNode | undefined, loc: Loc): void {
    const task = node === undefined ? "the workflow's environment" : `'${node.spec.id}'`;
    const rules: Record<string, [string, string]> = {
      item: [`\`item\` is set only inside a loop, and ${task} is not in one`, 'use it in the `task` of a loop; for a shell variable write $item'],
      index: [`\`index\` is set only inside a loop, and ${task} is not in one`, 'use it in the `task` of a loop; for a shell variable write $index'],
      result: ["`result` is set only in a task's `outputs:` templates", 'elsewhere read a finished task as tasks.<id>.outputs; for a shell variable write $result'],
    };
    const [message, hint] = rules[name];
    this.rep.error('SPEC_CONTEXT_UNAVAILABLE', message, loc, hint);
  }

  /**
   * A `${` left for the shell. `${word.x}` and `${ word }` are no shell syntax (sh says
   * "Bad substitution"): a misspelt context, or a context the task does not have. In a
   * field other than a command, `${word.x}` is text that may be meant for another tool,
   * so it is reported only when the word is close to a context's name.
   */
  private shellText(value: string, offset: number, site: ExprSite, literal: (offset: number) => boolean, node: TaskNode | undefined, at: (i: number) => Loc): void {
    const m = /^(\s*)([A-Za-z_][A-Za-z0-9_]*)(\s*)(.?)/.exec(value.slice(offset + 2, offset + 200));
    if (m === null) return;
    const [, space, word, after, next] = m;
    const spaced = space !== '';
    if (!spaced && !(after === '' && next === '.')) return;
    if (literal(offset)) return;
    const loc = at(offset + 2 + space.length);
    // A context the task has would have made the part an expression: this one it lacks.
    if (KNOWN_CONTEXTS.includes(word)) return this.unavailable(word, node, loc);
    const match = closest(word, KNOWN_CONTEXTS);
    if (!spaced && site.kind !== 'command' && match === undefined) return;
    const mean = match === undefined ? '' : ` (did you mean '${match}'?)`;
    const shell = site.kind === 'command' ? '; the shell would stop with "Bad substitution"' : ', so it stays as text';
    this.rep.error('SPEC_UNKNOWN_CONTEXT', `'${word}' is not a context${mean}${shell}`, loc, `contexts are ${KNOWN_CONTEXTS.join(', ')}; a shell variable is written $NAME or \${NAME}`);
  }

  /** `${item}` alone in a command that also sets a shell variable `item`: the variable is not what the command gets. */
  private assigned(command: string, bare: Name, sets: Map<string, boolean>, at: (i: number) => Loc): void {
    const name = bare.name;
    let set = sets.get(name);
    if (set === undefined) {
      set = new RegExp(`(?:^|[\\s;&|(])${name}=|\\bfor\\s+${name}\\s+in\\b|\\bread\\s+(?:-\\S+\\s+)*${name}\\b`).test(command);
      sets.set(name, set);
    }
    if (!set) return;
    this.rep.warning(
      'SPEC_SHELL_VARIABLE_IS_CONTEXT',
      `\${${name}} is the ${name === 'result' ? 'result' : `loop's ${name}`} here, not the shell variable ${name} this command sets`,
      at(bare.at),
      `for the shell variable write $${name} (no braces), or give it another name; write \${ ${name} } to say the context is meant`,
    );
  }
}
