/**
 * The approval gate before a step or effect runs. The host's policies look at the action (see
 * approval-policy.ts); when one gives a reason, or the action is marked `irreversible`, it needs
 * a person. Its approval's id is `<runId>:<seq>`, so it is requested once, by the first
 * execution that reaches it (fenced by the run's epoch, with the action's tool, arguments and
 * estimated cost as details; `approval.requested` is emitted), and read again by every later
 * execution, after a crash or a restart. What the answer means for the run is the run context's
 * to act on: pending suspends the run (`approval`), denied is journaled as the action's failure
 * (`ApprovalDeniedError`), approved lets it run.
 */
import type { Approval, Json } from '../store/index.ts';
import { approvalReason, type ActionDescriptor } from './approval-policy.ts';
import type { RunEnv } from './run-context.ts';
import type { StepOptions } from './step-options.ts';

/** The reason the action needs approval, or undefined when it may run without one. */
export function approvalNeeded(env: RunEnv, kind: 'step' | 'effect', name: string, options: StepOptions): string | undefined {
  const action: ActionDescriptor = {
    runId: env.runId,
    runName: env.runName,
    kind,
    name,
    irreversible: options.irreversible === true,
    ...(options.tool === undefined ? {} : { tool: options.tool }),
    ...(options.args === undefined ? {} : { args: options.args }),
    ...(options.costUsd === undefined ? {} : { costUsd: options.costUsd }),
  };
  return approvalReason(env.policies, action);
}

/** The approval of the action at `seq` (id `<runId>:<seq>`), requested now if no execution requested it before. */
export async function approvalOf(env: RunEnv, kind: 'step' | 'effect', name: string, seq: number, options: StepOptions, reason: string): Promise<Approval> {
  const id = `${env.runId}:${seq}`;
  const approval = await env.store.getApproval(id);
  if (approval !== undefined) return approval;
  env.fence.check(`request approval of "${name}" in run ${env.runId}`);
  const details: Record<string, Json> = {};
  if (options.tool !== undefined) details.tool = options.tool;
  if (options.args !== undefined) details.args = options.args;
  if (options.costUsd !== undefined) details.costUsd = options.costUsd;
  const requested = await env.store.requestApproval(
    { id, runId: env.runId, seq, action: name, kind, reason, details, requestedAt: env.clock.now() },
    env.epoch,
  );
  if (env.bus?.wants('approval.requested')) env.bus.emit({ type: 'approval.requested', approvalId: id, runId: env.runId, action: name, reason });
  return requested;
}
