/**
 * The redactor on its own: registered keys of any length and key-shaped strings are masked;
 * a short key only where it stands as a token, so a 1-letter key does not shred every message.
 */
import { describe, expect, it } from 'vitest';
import { REDACTED, redact, registerSecret } from './redact.ts';

describe('redact', () => {
  it('masks registered secrets and key-shaped strings', () => {
    registerSecret('plain-secret-value');
    expect(redact('key plain-secret-value here')).toBe('key [redacted] here');
    expect(redact('Authorization: Bearer abc.def-123456')).toBe('Authorization: Bearer [redacted]');
    expect(redact('{"x-api-key": "zzzzzzzzzz"}')).toBe('{"x-api-key": "[redacted]"}');
    expect(redact('got sk-proj-abcdefgh123')).toBe('got [redacted]');
    expect(redact('nothing to hide')).toBe('nothing to hide');
  });
});

describe('redacting short keys', () => {
  it('masks a key of 1 to 5 characters where it stands as a token: headers, URLs, error messages, JSON', () => {
    registerSecret('q');
    registerSecret('ab12');
    expect(redact('Incorrect API key provided: ab12.')).toBe(`Incorrect API key provided: ${REDACTED}.`);
    expect(redact('x-api-key: ab12')).toBe(`x-api-key: ${REDACTED}`);
    expect(redact('Authorization: Bearer ab12')).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redact('GET /v1/models?key=ab12&x=1')).toBe(`GET /v1/models?key=${REDACTED}&x=1`);
    expect(redact('{"apiKey":"ab12"}')).toBe(`{"apiKey":"${REDACTED}"}`);
    expect(redact('invalid x-api-key: q')).toBe(`invalid x-api-key: ${REDACTED}`);
  });

  it('leaves a short key alone inside a longer word or identifier, so a 1-letter key does not shred every message', () => {
    registerSecret('q');
    registerSecret('ab12');
    expect(redact('quota exceeded for request req_sim_7')).toBe('quota exceeded for request req_sim_7');
    expect(redact('xab12 ab12x ab12_3 sk_ab12')).toBe('xab12 ab12x ab12_3 sk_ab12');
  });

  it('masks a long key anywhere, a key containing a shorter one whole, and never mangles the mask', () => {
    registerSecret('abc');
    registerSecret('abc-long-secret');
    registerSecret('redacted');
    expect(redact('key abc-long-secret!')).toBe(`key ${REDACTED}!`);
    expect(redact('prefixabc-long-secretsuffix')).toBe(`prefix${REDACTED}suffix`);
    expect(redact('got redacted and abc')).toBe(`got ${REDACTED} and ${REDACTED}`);
    expect(redact(redact('abc'))).toBe(REDACTED);
  });

  it('ignores an empty or blank key', () => {
    registerSecret('');
    registerSecret('   ');
    expect(redact('a b  c')).toBe('a b  c');
  });
});
