/**
 * A refusal the dashboard answers with: an HTTP status and a JSON body
 * `{ error: { code, message, field? } }` that names the field and the value at fault, the
 * same words the CLI prints for the same mistake.
 */
export type DashboardErrorCode = 'BAD_REQUEST' | 'NOT_FOUND' | 'CONFLICT' | 'UNSUPPORTED_MEDIA_TYPE' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'PROVIDER_FAILED';

const STATUS: Readonly<Record<DashboardErrorCode, 400 | 401 | 403 | 404 | 409 | 415 | 502>> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PROVIDER_FAILED: 502,
};

export class DashboardHttpError extends Error {
  readonly status: 400 | 401 | 403 | 404 | 409 | 415 | 502;
  readonly code: DashboardErrorCode;
  /** The request field at fault, when one is. */
  readonly field: string | undefined;

  constructor(code: DashboardErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'DashboardHttpError';
    this.code = code;
    this.field = field;
    this.status = STATUS[code];
  }

  toJSON(): { error: { code: DashboardErrorCode; message: string; field?: string } } {
    return { error: { code: this.code, message: this.message, ...(this.field === undefined ? {} : { field: this.field }) } };
  }
}

/** `"value"` shortened for a message. */
export function shown(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
