import { BatonError } from '../observability/errors.js';

export class EngineError extends BatonError {}
