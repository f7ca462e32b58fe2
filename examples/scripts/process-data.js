// The processor of examples/data-processing.yaml: a data_processor hands it records on
// stdin, one JSON value per line, and writes to the output whatever it prints on stdout,
// one record per line. Whatever the input's size, it holds one record at a time: it waits
// for stdout to drain when the pipe is full, or Node would queue what it writes in memory.
import { once } from 'node:events';
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const minimum = Number(process.argv[2] ?? 0);
let kept = 0;
let total = 0;
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  const order = JSON.parse(line);
  if (order.status !== 'paid' || order.amount < minimum) continue;
  kept++;
  total += order.amount;
  const record = JSON.stringify({ id: order.id, customer: order.customer, cents: Math.round(order.amount * 100) });
  if (!process.stdout.write(`${record}\n`)) await once(process.stdout, 'drain');
}
// Messages go to stderr (the task's log); values for later tasks to $BATON_OUTPUT.
console.error(`kept ${kept} paid orders worth ${total.toFixed(2)}`);
appendFileSync(process.env.BATON_OUTPUT, `paid_total=${total.toFixed(2)}\n`);
