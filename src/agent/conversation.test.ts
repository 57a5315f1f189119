/**
 * A run's conversation: the task anchor first; the token count exact up to the model's last
 * report and estimated after it; a compaction applied from its record alone (summary after the
 * anchor, cleared results stubbed by ref, the count estimated again); and `recall_context`
 * reading a cleared result back by its ref.
 */
import { describe, expect, it } from 'vitest';
import { STUB_MARK, SUMMARY_MARK, contextTokens, estimateMessageTokens, offloadedBy, planCompaction } from './context.ts';
import { Conversation } from './conversation.ts';
import { NOTHING_SPENT, type CompactionRecord } from './journal-records.ts';
import { isToolFailure, type ToolContext } from './tool.ts';
import { RECALL_TOOL, toolboxOf } from './toolbox.ts';

const ANCHOR = [
  { role: 'system', content: 'You research.' },
  { role: 'user', content: 'Find out about OTP.' },
];

/** The anchor, three searches with their results, and a text turn. */
function researching(): Conversation {
  const conversation = new Conversation('You research.', 'Find out about OTP.');
  for (let n = 1; n <= 3; n++) {
    conversation.add({
      role: 'assistant',
      content: '',
      toolCalls: [{ id: `call_${n}`, name: 'search', argumentsText: `{"q":"${n}"}`, arguments: { q: String(n) } }],
    });
    conversation.addToolResult(`call_${n}`, { content: `result ${n}; `.repeat(50), isError: false });
  }
  conversation.add({ role: 'assistant', content: 'Still looking.' });
  return conversation;
}

/** Compaction 1 as the compaction step would journal it (summary made up). */
function compaction(conversation: Conversation): CompactionRecord {
  const plan = planCompaction(conversation.messages, { keepRecentMessages: 3, keepToolResults: 0 });
  if (plan === undefined) throw new Error('nothing to compact');
  return {
    plan,
    summary: 'Searched three times.',
    offloaded: offloadedBy(conversation.messages, plan, 1),
    tokensBefore: conversation.tokens(),
    spent: NOTHING_SPENT,
  };
}

const toolContext: ToolContext = {
  signal: new AbortController().signal,
  attempt: 1,
  agent: 'a',
  runId: 'r',
  callId: 'c',
  idempotencyKey: undefined,
  beat() {},
};

describe('conversation', () => {
  it('starts with the task anchor: the system prompt, then the task', () => {
    expect(new Conversation('You research.', 'Find out about OTP.').messages).toEqual(ANCHOR);
    expect(new Conversation(undefined, 'Find out about OTP.').messages).toEqual([ANCHOR[1]]);
  });

  it('adds a tool result as the model reads it, marked when it is an error', () => {
    const conversation = new Conversation(undefined, 'task');
    conversation.addToolResult('call_1', { content: 'found', isError: false });
    conversation.addToolResult('call_2', { content: 'no such page', isError: true });
    expect(conversation.messages.slice(1)).toEqual([
      { role: 'tool', toolCallId: 'call_1', content: 'found' },
      { role: 'tool', toolCallId: 'call_2', content: 'no such page', isError: true },
    ]);
  });

  it('counts tokens exactly up to the model’s last report and estimates only what came after', () => {
    const conversation = researching();
    const estimated = conversation.messages.reduce((n, m) => n + estimateMessageTokens(m), 0);
    expect(conversation.tokens()).toBe(estimated);
    conversation.calibrate(4, 1_000);
    const after = conversation.messages.slice(4).reduce((n, m) => n + estimateMessageTokens(m), 0);
    expect(conversation.tokens()).toBe(1_000 + after);
  });

  it('applies a compaction from its record: summary after the anchor, cleared results stubbed by ref, the count estimated again', () => {
    const conversation = researching();
    conversation.calibrate(4, 5);
    const record = compaction(conversation);
    conversation.compact(record, 1, true);
    const messages = conversation.messages;
    expect(messages.slice(0, 2)).toEqual(ANCHOR);
    expect(messages[2]).toEqual({
      role: 'user',
      content: expect.stringMatching(/^\[Summary of earlier work \(compaction 1; 4 messages\)\]\nSearched three times\.$/),
    });
    expect(messages[2]?.content.startsWith(SUMMARY_MARK)).toBe(true);
    const stubbed = messages.filter((m) => m.role === 'tool');
    expect(stubbed).toHaveLength(1);
    expect(stubbed[0]?.content).toMatch(new RegExp(`^\\${STUB_MARK} .*kept as "c1\\.3" \\(recall_context reads it back\\)\\]$`));
    expect(conversation.offloadedRefs()).toEqual(['c1.1', 'c1.2', 'c1.3']);
    expect(conversation.tokens()).toBe(contextTokens(messages, undefined));
  });

  it('offers recall_context only when asked to, and it reads a cleared result back by its ref', async () => {
    const conversation = researching();
    conversation.compact(compaction(conversation), 1, true);
    expect(toolboxOf(new Map(), false, conversation).definitions).toEqual([]);
    const toolbox = toolboxOf(new Map(), true, conversation);
    expect(toolbox.definitions.map((d) => d.name)).toEqual([RECALL_TOOL]);
    const recall = toolbox.byName.get(RECALL_TOOL);
    expect(await recall?.run({ ref: 'c1.2' }, toolContext)).toBe('result 2; '.repeat(50));
    const missing = await Promise.resolve()
      .then(() => recall?.run({ ref: 'c9.9' }, toolContext))
      .catch((e: unknown) => e);
    expect(isToolFailure(missing)).toBe(true);
    expect((missing as Error).message).toBe('no cleared result is kept as "c9.9" (known: c1.1, c1.2, c1.3)');
  });
});
