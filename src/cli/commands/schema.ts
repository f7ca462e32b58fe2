import { workflowJsonSchema } from '../../spec/index.js';
import { EXIT } from '../exit.js';

/** `baton schema`: the JSON Schema of workflow files; `--openapi`: the HTTP API's OpenAPI 3.1 document. */
export default async function schema(flags: { openapi?: boolean } = {}): Promise<number> {
  const document = flags.openapi ? (await import('../../server/api.js')).openApiDocument() : workflowJsonSchema();
  process.stdout.write(JSON.stringify(document, null, 2) + '\n');
  return EXIT.ok;
}
