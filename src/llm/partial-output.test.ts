/**
 * What a streamed call's caller is told when an attempt fails midway: the decision to keep or
 * void a cut stream's output (a matrix over the policy, the endpoint and what was received), the
 * `reset` sent once and only after output, the `llm.stream_error` event saying which, and
 * answers from the cache or static level replayed as one start, text and finish.
 */
import { describe, expect, it } from 'vitest';
import { EventBus, VirtualClock, type WardenEvent } from '../runtime/index.ts';
import { StreamAccumulator, ZERO_USAGE, type OutputDelta } from './accumulate.ts';
import { newCallState, type CallState } from './call-state.ts';
import { resolveClientOptions, type StreamFailurePolicy } from './client-options.ts';
import { buildTargets } from './model-targets.ts';
import { openaiChat } from './openai.ts';
import { canResume, replayAnswer, settlePartialOutput, voidPartial, withResumedText } from './partial-output.ts';
import { prepareRequest } from './request.ts';
import type { StreamDelta } from './types.ts';

function received(...deltas: OutputDelta[]): StreamAccumulator {
  const acc = new StreamAccumulator();
  for (const d of deltas) acc.add(d);
  return acc;
}

const text = (t: string): OutputDelta => ({ type: 'text', text: t });
const toolCall: OutputDelta = { type: 'tool_call', index: 0, id: 'c1', name: 'search', argumentsDelta: '{"q":' };

/** A streamed call whose deltas land in `deltas`, with output already delivered. */
function streamedCall(): { state: CallState; deltas: StreamDelta[] } {
  const deltas: StreamDelta[] = [];
  const state = newCallState({ client: 'model', callId: 'model#1' }, { messages: [{ role: 'user', content: 'hi' }] }, [], true, (d) => deltas.push(d), false);
  state.attempts = 1;
  state.dirty = true;
  return { state, deltas };
}

describe('canResume', () => {
  it.each([
    ['resume', true, [text('Hello')], true, true],
    ['discard', true, [text('Hello')], true, false],
    ['resume', false, [text('Hello')], true, false],
    ['resume', true, [text('Hello'), toolCall], true, false],
    ['resume', true, [toolCall], true, false],
    ['resume', true, [text('Hello')], false, false],
  ] as const)('policy %s, prefill %s, received %j, retryable %s: %s', (policy, prefill, deltas, retryable, expected) => {
    expect(canResume(policy, prefill, received(...deltas), retryable)).toBe(expected);
  });
});

describe('voidPartial', () => {
  it('sends one reset for output delivered since the last start, then none until more output', () => {
    const { state, deltas } = streamedCall();
    state.resumeText = 'kept';
    voidPartial(state, new Error('cut'));
    voidPartial(state, new Error('again'));
    expect(deltas).toEqual([{ type: 'reset', attempt: 1, error: { name: 'Error', message: 'cut' } }]);
    expect(state).toMatchObject({ dirty: false, resumeText: '', resumeTarget: undefined });
  });
});

describe('settlePartialOutput', () => {
  function setup(streamFailure: StreamFailurePolicy, supportsPrefill: boolean) {
    const clock = new VirtualClock();
    const bus = new EventBus(clock);
    const events: WardenEvent[] = [];
    bus.on('llm.stream_error', (e) => events.push(e));
    const model = openaiChat({ model: 'm', apiKey: 'sk-test-partial-0000', baseURL: 'http://127.0.0.1:9/v1', supportsPrefill });
    const options = { models: [model], streamFailure, clock, bus };
    const settings = resolveClientOptions(options);
    const target = buildTargets(settings, options).targets[0]!;
    const base = { client: 'model', callId: 'model#1', provider: 'openai', model: 'm', attempt: 2, stream: true };
    return { settings, target, base, events };
  }

  it('keeps the text after what an earlier cut kept, sending no reset, under resume on a prefill endpoint', () => {
    const { settings, target, base, events } = setup('resume', true);
    const { state, deltas } = streamedCall();
    settlePartialOutput(settings, state, target, base, new Error('cut'), received(text('lo, wor')), true, 'Hel');
    expect(deltas).toEqual([]);
    expect(state).toMatchObject({ resumeText: 'Hello, wor', resumeTarget: target, dirty: true });
    expect(events).toEqual([expect.objectContaining({ type: 'llm.stream_error', attempt: 2, eventsReceived: 1, partialTextChars: 7, action: 'resume' })]);
  });

  it.each([
    ['discard', true],
    ['resume', false],
  ] as const)('voids the output with a reset under %s (prefill %s)', (policy, prefill) => {
    const { settings, target, base, events } = setup(policy, prefill);
    const { state, deltas } = streamedCall();
    settlePartialOutput(settings, state, target, base, new Error('cut'), received(text('Hello')), true, '');
    expect(deltas.map((d) => d.type)).toEqual(['reset']);
    expect(state).toMatchObject({ resumeText: '', resumeTarget: undefined, dirty: false });
    expect(events.map((e) => (e as { action?: string }).action)).toEqual(['discard']);
  });
});

describe('withResumedText', () => {
  it('appends the kept text as a trailing assistant message, leaving the original request alone', () => {
    const prepared = prepareRequest({ messages: [{ role: 'user', content: 'Count to five.' }] }, 100);
    const resumed = withResumedText(prepared, 'one, two');
    expect(resumed.messages.map((m) => [m.role, m.content])).toEqual([
      ['user', 'Count to five.'],
      ['assistant', 'one, two'],
    ]);
    expect(prepared.messages).toHaveLength(1);
    expect(resumed.maxOutputTokens).toBe(100);
  });
});

describe('replayAnswer', () => {
  it('voids what a failed attempt delivered, then sends the answer as one start, its text and a finish', () => {
    const { state, deltas } = streamedCall();
    state.attempts = 3;
    const response = {
      id: 'static-model#1',
      provider: 'static',
      model: 'static',
      text: 'Try again later.',
      toolCalls: [],
      finishReason: 'stop' as const,
      usage: ZERO_USAGE,
      totalUsage: ZERO_USAGE,
      costUsd: undefined,
      level: 'static' as const,
      attempts: 3,
    };
    replayAnswer(state, response);
    expect(deltas).toEqual([
      { type: 'reset', attempt: 3, error: { name: 'undefined', message: 'undefined' } },
      { type: 'start', provider: 'static', model: 'static', level: 'static', attempt: 3, resumed: false },
      { type: 'text', text: 'Try again later.' },
      { type: 'finish', finishReason: 'stop' },
    ]);
  });
});
