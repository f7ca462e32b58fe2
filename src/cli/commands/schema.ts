import { workflowJsonSchema } from '../../spec/index.js';
import { EXIT } from '../exit.js';

export default function schema(): number {
  process.stdout.write(JSON.stringify(workflowJsonSchema(), null, 2) + '\n');
  return EXIT.ok;
}
