/**
 * The output check of a final answer: the value is taken from the model client when it parsed
 * one, else from the text; what is wrong is said the way the model is told (path: message), and
 * a client's own structured-output failure is found also among a fallback's failures.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { zodIssues } from '../runtime/internal.ts';
import { StructuredOutputError } from '../llm/index.ts';
import { FallbackExhaustedError } from '../resilience/index.ts';
import { checkOutput, reaskMessage, rejectedOutputIn } from './output-check.ts';

const answer = z.object({ answer: z.string(), sources: z.array(z.string()) });

describe('output check', () => {
  it('accepts an answer whose text is JSON the schema takes', () => {
    expect(checkOutput(answer, '{"answer":"OTP","sources":["a"]}', undefined)).toEqual({ output: { answer: 'OTP', sources: ['a'] } });
  });

  it('takes the value the client parsed over the text', () => {
    expect(checkOutput(answer, 'not json', { answer: 'OTP', sources: [] })).toEqual({ output: { answer: 'OTP', sources: [] } });
  });

  it('says the text is not JSON, with the parser’s reason', () => {
    const checked = checkOutput(answer, '{"answer": ', undefined);
    expect(checked).toEqual({ problem: expect.stringMatching(/^not valid JSON \(.+\)$/) });
  });

  it('names each field the schema rejects, by path, and the root as (root)', () => {
    expect(checkOutput(answer, '{"answer":1,"sources":[2]}', undefined)).toEqual({
      problem: expect.stringMatching(/^answer: .+; sources\.0: .+$/),
    });
    const root = z.string().safeParse(1);
    expect(root.success).toBe(false);
    if (!root.success) expect(zodIssues(root.error)).toMatch(/^\(root\): /);
  });

  it('puts the problem in the re-ask', () => {
    expect(reaskMessage('answer: required')).toContain('does not match the required output: answer: required.');
  });
});

describe('a structured-output failure inside a client error', () => {
  const invalid = (problem: string): StructuredOutputError => new StructuredOutputError('openai', 'sim-small', '{"answer":', problem);

  it('is read from the error itself', () => {
    expect(rejectedOutputIn(invalid('not JSON'))).toEqual({ text: '{"answer":', problem: 'not JSON', provider: 'openai', model: 'sim-small' });
  });

  it('is the last one among a fallback’s failures', () => {
    const error = new FallbackExhaustedError('models', [
      { source: 'a', error: invalid('first') },
      { source: 'b', error: invalid('second') },
      { source: 'c', error: new Error('anthropic: HTTP 503') },
    ]);
    expect(rejectedOutputIn(error)?.problem).toBe('second');
  });

  it('is not found in any other error', () => {
    expect(rejectedOutputIn(new Error('boom'))).toBeUndefined();
    expect(rejectedOutputIn(new FallbackExhaustedError('models', [{ source: 'a', error: new Error('boom') }]))).toBeUndefined();
  });
});
