import { readFile } from 'node:fs/promises';
import { evaluateExpression, excerpt, renderTemplate } from '../../expr/index.js';
import { DataError, parseJson } from '../../expr/safe-json.js';
import { BatonError } from '../../observability/errors.js';
import { EXIT, exitCodeOf } from '../exit.js';
import { visible } from '../render/visible.js';

/**
 * Evaluates one expression (or a string with ${ } parts) and prints its value as JSON.
 * Contexts come from --context (a JSON object of contexts); `env` defaults to the process env.
 */
export default async function evalCommand(expression: string, flags: { context?: string }): Promise<number> {
  let contexts: Record<string, unknown> = {};
  if (flags.context) {
    let text: string;
    try {
      text = await readFile(flags.context, 'utf8');
    } catch (err) {
      process.stderr.write(`baton: cannot read --context ${flags.context}: ${(err as Error).message}\n`);
      return EXIT.invalid;
    }
    try {
      contexts = parseJson(text, `--context ${flags.context}`) as Record<string, unknown>;
    } catch (err) {
      if (err instanceof DataError) process.stderr.write(`baton: ${visible(err.message)} [${err.code}]\n`);
      else process.stderr.write(`baton: --context ${flags.context} is not JSON: ${(err as Error).message}\n`);
      return EXIT.invalid;
    }
    if (contexts === null || typeof contexts !== 'object' || Array.isArray(contexts)) {
      process.stderr.write(`baton: --context ${flags.context} must hold a JSON object such as {"inputs": {...}}\n`);
      return EXIT.invalid;
    }
  }
  contexts = { env: process.env, inputs: {}, tasks: {}, ...contexts };
  try {
    // Read like a condition (`${a} == 1 && ${b}`); a string that is not one expression
    // (`deploy to ${ inputs.env }`) is rendered as a template instead.
    let value: unknown;
    try {
      value = evaluateExpression(expression, { contexts });
    } catch (err) {
      if (!expression.includes('${') || (err as BatonError).code !== 'EXPR_SYNTAX') throw err;
      value = renderTemplate(expression, { contexts });
    }
    process.stdout.write(JSON.stringify(value ?? null, null, 2) + '\n');
    return EXIT.ok;
  } catch (err) {
    if (err instanceof BatonError) {
      const col = typeof (err as { col?: number }).col === 'number' ? (err as unknown as { col: number }).col : undefined;
      if (col !== undefined) {
        // A bounded piece around the column: a 100 KB expression is not printed whole.
        const shown = excerpt(expression, col);
        process.stderr.write(`${visible(shown.text)}\n${' '.repeat(Math.max(0, shown.col - 1))}^\n`);
      }
      process.stderr.write(`baton: ${visible(err.message, { lines: true })} [${err.code}]\n`);
      return exitCodeOf(err);
    }
    throw err;
  }
}
