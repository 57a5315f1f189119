/** Identifiers: run and dead-letter ids (UUIDs) and W3C-style trace ids (32 hex digits). */
import { randomBytes, randomUUID } from 'node:crypto';

export const newId = (): string => randomUUID();
export const newTraceId = (): string => randomBytes(16).toString('hex');
