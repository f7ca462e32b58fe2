/**
 * What every part of the API's OpenAPI description shares: the error document (one
 * `Error` component, whatever the route), the error responses a route lists by status, and
 * a JSON object of any shape.
 */
import { z } from '@hono/zod-openapi';

export const ErrorBody = z
  .object({ error: z.object({ code: z.string(), category: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }) })
  .openapi('Error');

const STATUS_TEXT: Record<number, string> = {
  400: 'bad request: the field and the reason',
  401: 'no token, or one this server refuses',
  403: "the token's roles do not allow it",
  404: 'not found (or not in the caller\'s namespace)',
  409: 'conflict',
  503: 'unavailable',
};

/** The error responses of a route, by status, each the error document. */
export const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, { description: STATUS_TEXT[status] ?? 'error', content: { 'application/json': { schema: ErrorBody } } }]));

export const Json = z.record(z.string(), z.unknown());

/** A run named in a path: its id or a unique prefix of it. */
export const RunId = z
  .string()
  .regex(/^[0-9A-Za-z]{1,26}$/, 'a run id (or a unique prefix of one): letters and digits')
  .openapi({ param: { name: 'id', in: 'path' }, example: '01KAQ3T6Y1N2' });
export const RunParams = z.object({ id: RunId });
