/**
 * Token accounting and compaction planning, as pure functions over random conversations: the
 * task anchor is never dropped or changed, a tool call is never separated from its results, the
 * result is a conversation the model layer accepts, and results the model has not seen yet are
 * never cleared.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prepareRequest, type Message } from '../llm/index.ts';
import {
  STUB_MARK,
  SUMMARY_MARK,
  anchorLength,
  applyCompaction,
  contextTokens,
  estimateMessageTokens,
  offloadedBy,
  planCompaction,
  stubFor,
  transcript,
} from './context.ts';

type Turn = { kind: 'tools'; calls: number; size: number } | { kind: 'text'; size: number } | { kind: 'reask' };

const turn: fc.Arbitrary<Turn> = fc.oneof(
  fc.record({ kind: fc.constant('tools' as const), calls: fc.integer({ min: 1, max: 3 }), size: fc.integer({ min: 1, max: 400 }) }),
  fc.record({ kind: fc.constant('text' as const), size: fc.integer({ min: 0, max: 200 }) }),
  fc.record({ kind: fc.constant('reask' as const) }),
);

/** A conversation as the agent loop builds it. */
function conversation(withSystem: boolean, turns: readonly Turn[]): Message[] {
  const messages: Message[] = [];
  if (withSystem) messages.push({ role: 'system', content: 'You are a careful research agent.' });
  messages.push({ role: 'user', content: 'Find out how supervision trees keep agents alive.' });
  let id = 0;
  for (const t of turns) {
    if (t.kind === 'tools') {
      const calls = Array.from({ length: t.calls }, () => ({
        id: `call_${++id}`,
        name: 'search',
        argumentsText: `{"q":"${id}"}`,
        arguments: { q: String(id) },
      }));
      messages.push({ role: 'assistant', content: '', toolCalls: calls });
      for (const c of calls) messages.push({ role: 'tool', toolCallId: c.id, content: 'r'.repeat(t.size) });
    } else if (t.kind === 'text') {
      messages.push({ role: 'assistant', content: 'x'.repeat(t.size) });
    } else {
      messages.push({ role: 'assistant', content: '{oops' }, { role: 'user', content: 'Your answer does not match the required output.' });
    }
  }
  return messages;
}

/** Apply a plan the way the loop does (summary text and stubs made up). */
function compact(messages: readonly Message[], keepRecentMessages: number, keepToolResults: number) {
  const plan = planCompaction(messages, { keepRecentMessages, keepToolResults });
  if (plan === undefined) return { plan, after: [...messages] };
  const items = offloadedBy(messages, plan, 1);
  const stubs = new Map(items.flatMap((i) => (i.toolCallId === undefined ? [] : [[i.toolCallId, stubFor(i, true)] as const])));
  return { plan, items, after: applyCompaction(messages, plan, 'the summary', 1, stubs) };
}

describe('token accounting', () => {
  it('estimates about four characters per token plus framing, tool calls included', () => {
    expect(estimateMessageTokens({ role: 'user', content: 'x'.repeat(400) })).toBe(104);
    const call = { id: 'c1', name: 'search', argumentsText: '{"q":"otp"}', arguments: { q: 'otp' } };
    expect(estimateMessageTokens({ role: 'assistant', content: '', toolCalls: [call] })).toBeGreaterThan(
      estimateMessageTokens({ role: 'assistant', content: '' }),
    );
  });

  it('uses the exact count the model reported and estimates only what came after it', () => {
    const messages: Message[] = [
      { role: 'user', content: 'x'.repeat(40) },
      { role: 'assistant', content: 'y'.repeat(40) },
      { role: 'user', content: 'z'.repeat(40) },
    ];
    expect(contextTokens(messages, undefined)).toBe(3 * 14);
    expect(contextTokens(messages, { messages: 2, tokens: 500 })).toBe(500 + 14);
    // A calibration for more messages than there are (after a compaction) no longer applies.
    expect(contextTokens(messages.slice(0, 1), { messages: 2, tokens: 500 })).toBe(14);
  });
});

describe('compaction plan', () => {
  it('keeps the anchor, summarises what is older than the kept part, and stubs seen results beyond the newest', () => {
    const messages = conversation(true, [
      { kind: 'tools', calls: 1, size: 100 },
      { kind: 'tools', calls: 2, size: 100 },
      { kind: 'tools', calls: 1, size: 100 },
      { kind: 'tools', calls: 1, size: 100 },
    ]);
    // 0 system, 1 task, [2 a, 3 t], [4 a, 5 t, 6 t], [7 a, 8 t], [9 a, 10 t]
    const plan = planCompaction(messages, { keepRecentMessages: 5, keepToolResults: 1 });
    // The kept part starts at the assistant message of call_2/call_3, not between it and its results.
    expect(plan).toEqual({ anchor: 2, summarizeTo: 4, clear: [5, 6] });
    const { after, items } = compact(messages, 5, 1);
    expect(after.slice(0, 2)).toEqual(messages.slice(0, 2));
    expect(after[2]).toMatchObject({ role: 'user', content: expect.stringContaining(SUMMARY_MARK) });
    expect(after[3]).toEqual(messages[4]);
    expect(after[4]).toMatchObject({ role: 'tool', toolCallId: 'call_2', content: expect.stringContaining(STUB_MARK) });
    expect(after[5]).toMatchObject({ role: 'tool', toolCallId: 'call_3', content: expect.stringContaining('kept as "c1.3"') });
    // The newest result the model has seen (call_4) stays, and call_5's is new to it.
    expect(after.slice(6)).toEqual(messages.slice(7));
    expect(items?.map((i) => [i.ref, i.toolCallId, i.source])).toEqual([
      ['c1.1', 'call_1', 'search'],
      ['c1.2', 'call_2', 'search'],
      ['c1.3', 'call_3', 'search'],
    ]);
  });

  it('does nothing when there is nothing to take out', () => {
    const messages = conversation(false, [{ kind: 'text', size: 10 }]);
    expect(planCompaction(messages, { keepRecentMessages: 6, keepToolResults: 2 })).toBeUndefined();
  });

  it('writes the turns to summarise as a transcript, long results cut', () => {
    const messages = conversation(false, [{ kind: 'tools', calls: 1, size: 3_000 }]);
    const text = transcript(messages, 1, messages.length, 100);
    expect(text).toContain('ASSISTANT: [calls search({"q":"1"})]');
    expect(text).toContain('TOOL RESULT: rrrr');
    expect(text).toContain('(2900 more characters)');
  });

  it('never drops or changes the anchor and always leaves a well-formed conversation', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(turn, { maxLength: 14 }), fc.nat(12), fc.nat(4), (withSystem, turns, keepRecent, keepResults) => {
        const messages = conversation(withSystem, turns);
        const anchor = anchorLength(messages);
        const { plan, after } = compact(messages, keepRecent, keepResults);
        // The anchor: first, verbatim.
        expect(after.slice(0, anchor)).toEqual(messages.slice(0, anchor));
        expect(after.length).toBeLessThanOrEqual(messages.length + 1);
        // The model layer accepts it: every tool result answers a call made before it.
        expect(() => prepareRequest({ messages: after }, 100)).not.toThrow();
        // Every call in a kept assistant message has its result right after it.
        after.forEach((m, i) => {
          if (m.role !== 'assistant') return;
          const ids = (m.toolCalls ?? []).map((c) => c.id);
          const next = after.slice(i + 1, i + 1 + ids.length);
          expect(next.map((n) => (n.role === 'tool' ? n.toolCallId : undefined))).toEqual(ids);
        });
        // Results after the last assistant message are new to the model: never cleared.
        const last = after.findLastIndex((m) => m.role === 'assistant');
        for (const m of after.slice(last + 1)) if (m.role === 'tool') expect(m.content.startsWith(STUB_MARK)).toBe(false);
        if (plan !== undefined) expect(plan.summarizeTo > plan.anchor || plan.clear.length > 0).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('compacts a compacted conversation again without losing the anchor or stacking summaries', () => {
    fc.assert(
      fc.property(fc.array(turn, { minLength: 4, maxLength: 12 }), fc.array(turn, { minLength: 1, maxLength: 8 }), (first, second) => {
        const once = compact(conversation(true, first), 3, 1).after;
        const grown = [...once, ...conversation(true, second).slice(2)];
        const twice = compact(grown, 3, 1).after;
        expect(twice.slice(0, 2)).toEqual(conversation(true, []).slice(0, 2));
        expect(twice.filter((m) => m.role === 'user' && m.content.startsWith(SUMMARY_MARK)).length).toBeLessThanOrEqual(1);
        expect(() => prepareRequest({ messages: twice }, 100)).not.toThrow();
      }),
      { numRuns: 200 },
    );
  });
});
