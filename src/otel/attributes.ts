/**
 * The attribute names Warden's spans and metrics carry, in one place. Model calls follow the
 * OpenTelemetry GenAI semantic conventions (`gen_ai.*`: provider, model, tokens in and out,
 * finish reasons); what the conventions have no name for (cost, replay, the degradation level,
 * runs, steps, supervisors) is under `warden.*`. Strings written from failures go through the
 * model layer's redaction first, so a key that reached an error message never leaves in a span.
 */
import { redact } from '../llm/index.ts';
import { formatReason, type ExitReason } from '../runtime/index.ts';

/** GenAI semantic-convention names (https://opentelemetry.io/docs/specs/semconv/gen-ai/). */
export const GEN_AI = {
  operation: 'gen_ai.operation.name',
  provider: 'gen_ai.provider.name',
  /** The older name of `gen_ai.provider.name`, still read by many backends. */
  system: 'gen_ai.system',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  finishReasons: 'gen_ai.response.finish_reasons',
  toolName: 'gen_ai.tool.name',
  tokenType: 'gen_ai.token.type',
} as const;

/** Warden's own names. */
export const WARDEN = {
  costUsd: 'warden.llm.cost_usd',
  level: 'warden.llm.level',
  client: 'warden.llm.client',
  callId: 'warden.llm.call_id',
  attempt: 'warden.llm.attempt',
  attempts: 'warden.llm.attempts',
  retry: 'warden.retry',
  retryAfter: 'warden.retry.after',
  runId: 'warden.run.id',
  runName: 'warden.run.name',
  epoch: 'warden.run.epoch',
  resumed: 'warden.run.resumed',
  outcome: 'warden.run.outcome',
  step: 'warden.step.name',
  seq: 'warden.step.seq',
  kind: 'warden.step.kind',
  replayed: 'warden.step.replayed',
  linkReason: 'warden.link.reason',
  letterId: 'warden.dlq.id',
  supervisor: 'warden.supervisor.name',
  child: 'warden.child.id',
  pid: 'warden.child.pid',
  restart: 'warden.child.restart',
  exitReason: 'warden.exit.reason',
  abnormal: 'warden.exit.abnormal',
  breaker: 'warden.breaker.name',
  from: 'warden.breaker.from',
  to: 'warden.breaker.to',
  approvalId: 'warden.approval.id',
  action: 'warden.approval.action',
  decision: 'warden.approval.decision',
  decidedBy: 'warden.approval.by',
} as const;

/** Text safe to export: secrets masked, and cut at `max` characters. */
export function safeText(text: string, max = 500): string {
  const clean = redact(text);
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** An exit reason as exported text. */
export function reasonText(reason: ExitReason): string {
  return safeText(formatReason(reason));
}
