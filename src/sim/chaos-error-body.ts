/**
 * The chaos proxy's error bodies, in the shape of the API a request's path belongs to: a path
 * with `/messages` in it is Anthropic's (`{ type: 'error', error: { type, message } }`), any
 * other OpenAI's (`{ error: { message, type, param, code } }`), so an official SDK reads an
 * injected fault as it would the provider's own.
 */
import { anthropicError, anthropicErrorType } from './anthropic-wire.ts';
import { openaiError, openaiErrorKind } from './openai-wire.ts';

/** True if `path` is an Anthropic Messages path. */
export function isAnthropicPath(path: string): boolean {
  return path.startsWith('/v1/messages') || path.includes('/messages');
}

/** An error body for `status` with `message`, in the shape of `path`'s API. */
export function errorBody(path: string, status: number, message: string): unknown {
  if (isAnthropicPath(path)) return anthropicError(anthropicErrorType(status), message);
  const kind = openaiErrorKind(status);
  return openaiError(message, kind.type, null, kind.code);
}
