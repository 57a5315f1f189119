/**
 * A run's conversation: the messages its next model call is sent (the task anchor first), the
 * exact input tokens the model last reported for them (so the compaction threshold is checked
 * against real numbers, see `contextTokens`), and the tool results compaction took out, kept by
 * ref for `recall_context`. Like the rest of a run's state it changes only by what journaled
 * records say, so a replay rebuilds it exactly.
 */
import type { Message } from '../llm/index.ts';
import { applyCompaction, contextTokens, stubFor, type Calibration } from './context.ts';
import type { CompactionRecord, ToolRecord } from './journal-records.ts';

export class Conversation {
  /** The first user message: the task, with its data. */
  readonly task: string;
  private current: Message[];
  private calibration: Calibration | undefined;
  /** Offloaded tool results by ref (`c1.2`). */
  private readonly offloaded = new Map<string, string>();

  constructor(system: string | undefined, task: string) {
    this.task = task;
    this.current = [...(system === undefined ? [] : [{ role: 'system' as const, content: system }]), { role: 'user', content: task }];
  }

  /** The messages as they stand (a model request takes a copy). */
  get messages(): readonly Message[] {
    return this.current;
  }

  add(message: Message): void {
    this.current.push(message);
  }

  /** What the model is told a tool call gave. */
  addToolResult(toolCallId: string, result: ToolRecord): void {
    this.current.push({ role: 'tool', toolCallId, content: result.content, ...(result.isError ? { isError: true } : {}) });
  }

  /** The model reported `tokens` input tokens for the first `messages` messages. */
  calibrate(messages: number, tokens: number): void {
    this.calibration = { messages, tokens };
  }

  /** Tokens of the context: exact up to the last calibration, estimated after it. */
  tokens(): number {
    return contextTokens(this.current, this.calibration);
  }

  /** Apply compaction number `compaction`: keep what it offloaded, stub what it cleared, summarise. */
  compact(record: CompactionRecord, compaction: number, canRecall: boolean): void {
    const stubs = new Map<string, string>();
    for (const item of record.offloaded) {
      this.offloaded.set(item.ref, item.content);
      if (item.toolCallId !== undefined) stubs.set(item.toolCallId, stubFor(item, canRecall));
    }
    this.current = applyCompaction(this.current, record.plan, record.summary, compaction, stubs);
    this.calibration = undefined;
  }

  /** An offloaded tool result, by its ref. */
  recall(ref: string): string | undefined {
    return this.offloaded.get(ref);
  }

  offloadedRefs(): string[] {
    return [...this.offloaded.keys()];
  }
}
