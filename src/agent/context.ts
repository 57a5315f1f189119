/**
 * The agent's context window: token accounting and the compaction plan.
 *
 * Accounting: each message is estimated at about 4 characters per token plus a few for its
 * framing; once the model has answered, the exact input tokens it reported for the messages it
 * was sent replace the estimate for those, and only messages added since are estimated. So the
 * count is exact right after each model call and drifts only by what was added since.
 *
 * Compaction, when the count passes the threshold: the **task anchor** (the system message and
 * the first user message, the task) always stays first and verbatim. Older turns after it are
 * replaced by one summary message (written by the model); the most recent messages stay, never
 * split between a tool call and its results; in what stays, tool results the model has already
 * seen, except the newest few, are replaced by a short stub. Everything taken out of the context
 * is offloaded (kept in the journal entry of the compaction step, retrievable by its ref).
 *
 * The planning here is pure (messages in, plan out), so it is property-tested: the anchor is
 * never dropped or changed, and the result is always a well-formed conversation.
 */
import type { Message, ToolCall } from '../llm/index.ts';

/** Marks the summary message a compaction puts after the anchor. */
export const SUMMARY_MARK = '[Summary of earlier work';
/** Marks a tool result that was cleared from the context. */
export const STUB_MARK = '[tool result cleared';

/** Rough tokens of one message: ~4 characters per token plus framing. */
export function estimateMessageTokens(m: Message): number {
  let chars = m.content.length;
  if (m.role === 'assistant') for (const c of m.toolCalls ?? []) chars += c.name.length + c.argumentsText.length + 12;
  return Math.ceil(chars / 4) + 4;
}

/** Exact input tokens the model reported for the first `messages` messages it was sent. */
export interface Calibration {
  readonly messages: number;
  readonly tokens: number;
}

/** Tokens of the context: exact up to the calibration point (when it still applies), estimated after it. */
export function contextTokens(messages: readonly Message[], calibration: Calibration | undefined): number {
  let total = 0;
  let from = 0;
  if (calibration !== undefined && calibration.messages <= messages.length) {
    total = calibration.tokens;
    from = calibration.messages;
  }
  for (let i = from; i < messages.length; i++) total += estimateMessageTokens(messages[i] as Message);
  return total;
}

/** Where the anchor ends: after the system message(s) and the first user message. */
export function anchorLength(messages: readonly Message[]): number {
  const firstUser = messages.findIndex((m) => m.role === 'user');
  return firstUser === -1 ? 0 : firstUser + 1;
}

export interface CompactionShape {
  /** Messages at the end kept verbatim (more when needed not to split a tool call from its results). */
  readonly keepRecentMessages: number;
  /** Tool results the model has seen that stay in full, newest first; older ones are stubbed. */
  readonly keepToolResults: number;
}

export interface CompactionPlan {
  /** Messages `[anchor, summarizeTo)` are replaced by one summary (none when equal). */
  readonly anchor: number;
  readonly summarizeTo: number;
  /** Indices (into the original messages) of tool results kept in place but cleared to a stub. */
  readonly clear: readonly number[];
}

const isSummary = (m: Message): boolean => m.role === 'user' && m.content.startsWith(SUMMARY_MARK);
const isStub = (m: Message): boolean => m.role === 'tool' && m.content.startsWith(STUB_MARK);

/** What to compact, or undefined when there is nothing worth taking out. */
export function planCompaction(messages: readonly Message[], shape: CompactionShape): CompactionPlan | undefined {
  const anchor = anchorLength(messages);
  let cut = Math.max(anchor, messages.length - Math.max(0, shape.keepRecentMessages));
  // Never split a tool call from its results: start the kept part at the assistant message.
  while (cut > anchor && cut < messages.length && messages[cut]?.role === 'tool') cut--;
  let summarizeTo = anchor;
  for (let i = anchor; i < cut; i++) {
    if (!isSummary(messages[i] as Message)) {
      summarizeTo = cut;
      break;
    }
  }
  // Results after the last assistant message have not been seen by the model yet: never cleared.
  let lastAssistant = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]?.role === 'assistant') {
      lastAssistant = i;
      break;
    }
  }
  const seen: number[] = [];
  for (let i = summarizeTo; i < messages.length && i < lastAssistant; i++) if (messages[i]?.role === 'tool') seen.push(i);
  const keep = Math.max(0, shape.keepToolResults);
  const clear = seen.slice(0, Math.max(0, seen.length - keep)).filter((i) => !isStub(messages[i] as Message));
  if (summarizeTo === anchor && clear.length === 0) return undefined;
  return { anchor, summarizeTo, clear };
}

/** One piece of content taken out of the context. */
export interface OffloadedItem {
  /** How the stub names it: `c<compaction>.<n>`. */
  readonly ref: string;
  /** The tool whose result it was, or the role of a summarised message. */
  readonly source: string;
  readonly toolCallId?: string;
  readonly content: string;
}

/** The tool each call id belongs to. */
function toolNames(messages: readonly Message[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const m of messages) if (m.role === 'assistant') for (const c of m.toolCalls ?? []) names.set(c.id, c.name);
  return names;
}

/** The tool results a plan takes out of the context (summarised or cleared), with refs. */
export function offloadedBy(messages: readonly Message[], plan: CompactionPlan, compaction: number): OffloadedItem[] {
  const names = toolNames(messages);
  const items: OffloadedItem[] = [];
  const take = (i: number): void => {
    const message = messages[i];
    if (message === undefined || message.role !== 'tool' || isStub(message)) return;
    items.push({
      ref: `c${compaction}.${items.length + 1}`,
      source: names.get(message.toolCallId) ?? 'tool',
      toolCallId: message.toolCallId,
      content: message.content,
    });
  };
  for (let i = plan.anchor; i < plan.summarizeTo; i++) take(i);
  for (const i of plan.clear) take(i);
  return items;
}

/** The stub that replaces a cleared tool result. */
export function stubFor(item: OffloadedItem, canRecall: boolean): string {
  return `${STUB_MARK} to save context: ${item.source} returned ${item.content.length} characters, kept as "${item.ref}"${canRecall ? ' (recall_context reads it back)' : ''}]`;
}

/** The messages after compaction: anchor, summary, the kept part with cleared results stubbed. */
export function applyCompaction(
  messages: readonly Message[],
  plan: CompactionPlan,
  summary: string,
  compaction: number,
  stubs: ReadonlyMap<string, string>,
): Message[] {
  const out: Message[] = messages.slice(0, plan.anchor);
  if (plan.summarizeTo > plan.anchor) {
    out.push({ role: 'user', content: `${SUMMARY_MARK} (compaction ${compaction}; ${plan.summarizeTo - plan.anchor} messages)]\n${summary}` });
  }
  const cleared = new Set(plan.clear);
  for (let i = plan.summarizeTo; i < messages.length; i++) {
    const message = messages[i] as Message;
    if (cleared.has(i) && message.role === 'tool') out.push({ ...message, content: stubs.get(message.toolCallId) ?? `${STUB_MARK}]` });
    else out.push(message);
  }
  return out;
}

/** The turns a summary is written from, as plain text (long tool results cut to `maxResultChars`). */
export function transcript(messages: readonly Message[], from: number, to: number, maxResultChars = 2_000): string {
  const lines: string[] = [];
  const cut = (s: string): string => (s.length > maxResultChars ? `${s.slice(0, maxResultChars)}… (${s.length - maxResultChars} more characters)` : s);
  for (let i = from; i < to; i++) {
    const message = messages[i] as Message;
    switch (message.role) {
      case 'system':
      case 'user':
        lines.push(`${message.role.toUpperCase()}: ${message.content}`);
        break;
      case 'assistant': {
        const calls = (message.toolCalls ?? []).map((c: ToolCall) => `${c.name}(${c.argumentsText})`);
        lines.push(`ASSISTANT: ${message.content}${calls.length > 0 ? `${message.content === '' ? '' : ' '}[calls ${calls.join(', ')}]` : ''}`);
        break;
      }
      case 'tool':
        lines.push(`TOOL RESULT${message.isError === true ? ' (error)' : ''}: ${cut(message.content)}`);
        break;
    }
  }
  return lines.join('\n');
}
