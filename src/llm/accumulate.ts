/**
 * Assembles a streamed answer from its deltas: text concatenated, tool-call fragments joined by
 * index (the first fragment names the call, later ones add argument text), the last usage and
 * finish reason kept. One accumulator per attempt, so a discarded attempt leaves nothing behind.
 */
import { assertNever } from '../runtime/internal.ts';
import { parseArguments } from './request.ts';
import type { FinishReason, StreamDelta, ToolCall, Usage } from './types.ts';

export const ZERO_USAGE: Usage = Object.freeze({ inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, totalTokens: 0 });

export function makeUsage(inputTokens: number, outputTokens: number, cachedInputTokens: number): Usage {
  return { inputTokens, outputTokens, cachedInputTokens, totalTokens: inputTokens + outputTokens + cachedInputTokens };
}

export function addUsage(a: Usage, b: Usage): Usage {
  return makeUsage(a.inputTokens + b.inputTokens, a.outputTokens + b.outputTokens, a.cachedInputTokens + b.cachedInputTokens);
}

/** Output deltas an adapter's stream yields (no `start`/`reset`: those belong to the client). */
export type OutputDelta = Extract<StreamDelta, { type: 'text' | 'tool_call' | 'usage' | 'finish' }>;

interface PartialCall {
  id: string;
  name: string;
  args: string;
}

export class StreamAccumulator {
  text = '';
  readonly calls: PartialCall[] = [];
  usage: Usage | undefined;
  finishReason: FinishReason | undefined;
  /** Deltas seen (for error reports). */
  events = 0;

  add(delta: OutputDelta): void {
    this.events++;
    switch (delta.type) {
      case 'text':
        this.text += delta.text;
        return;
      case 'tool_call': {
        let call = this.calls[delta.index];
        if (call === undefined) {
          call = { id: '', name: '', args: '' };
          this.calls[delta.index] = call;
        }
        if (delta.id !== undefined) call.id = delta.id;
        if (delta.name !== undefined) call.name = delta.name;
        call.args += delta.argumentsDelta;
        return;
      }
      case 'usage':
        this.usage = delta.usage;
        return;
      case 'finish':
        this.finishReason = delta.finishReason;
        return;
      default:
        assertNever(delta);
    }
  }

  /** True once any output (text or a tool call) has arrived. */
  get hasOutput(): boolean {
    return this.text.length > 0 || this.calls.length > 0;
  }

  toolCalls(): ToolCall[] {
    return this.calls
      .filter((c): c is PartialCall => c !== undefined)
      .map((c) => ({ id: c.id, name: c.name, argumentsText: c.args, arguments: parseArguments(c.args) }));
  }
}
