/**
 * What the dashboard changes, through the same durable-layer operations (and so the same audit
 * trail) as the CLI: approve or deny an approval (`Approvals`: who and why are required, a
 * decision is final), request a dead letter's replay with the same or an edited input, discard
 * it (`DeadLetterQueue`; who defaults to `dashboard`). A bad body is a 400 naming the field, an
 * unknown id a 404, a state that does not allow it (decided already, replayed already) a 409;
 * nothing changes in any of these cases.
 */
import { z } from 'zod';
import { isWardenError, type EventBus, type InvalidSpecError } from '../runtime/index.ts';
import { parseWith } from '../runtime/internal.ts';
import type { Json } from '../store/index.ts';
import { Approvals, DeadLetterQueue, toJournalJson } from '../durable/index.ts';
import { DashboardHttpError, shown } from './http-error.ts';
import type { ViewContext } from './views.ts';

const text = (what: string) => z.string().trim().min(1, `must ${what}`).max(2000, 'must be at most 2000 characters');
const decisionBody = z.strictObject({ by: text('name who decides'), reason: text('say why') });
const replayBody = z.strictObject({ input: z.unknown().optional() });
const discardBody = z.strictObject({ by: text('name who discards').optional(), reason: text('say why').optional() });

/** `body` checked against `schema`; a 400 naming the field and the value otherwise. */
function checked<T>(subject: string, schema: z.ZodType<T>, body: unknown): T {
  try {
    return parseWith(subject, schema, body ?? {});
  } catch (e) {
    if (!isWardenError(e, 'INVALID_SPEC')) throw e;
    const spec = e as InvalidSpecError;
    throw new DashboardHttpError('BAD_REQUEST', spec.message, spec.path === '' ? undefined : spec.path);
  }
}

/** A durable-layer refusal (decided already, not pending) as a 409; anything else rethrown. */
async function refusedAs409<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (isWardenError(e, 'DURABLE_STATE')) throw new DashboardHttpError('CONFLICT', (e as Error).message);
    if (isWardenError(e, 'INVALID_SPEC')) throw new DashboardHttpError('BAD_REQUEST', (e as Error).message, (e as InvalidSpecError).path);
    throw e;
  }
}

export async function decideApproval(ctx: ViewContext, events: EventBus | undefined, id: string, decision: 'approve' | 'deny', body: unknown): Promise<Json> {
  const input = checked(`approval ${id}`, decisionBody, body);
  if ((await ctx.store.getApproval(id)) === undefined) throw new DashboardHttpError('NOT_FOUND', `no approval ${shown(id)}`, 'id');
  const approvals = new Approvals(ctx.store, { clock: ctx.clock, ...(events === undefined ? {} : { bus: events }) });
  const decided = await refusedAs409(() => (decision === 'approve' ? approvals.approve(id, input) : approvals.deny(id, input)));
  return decided as unknown as Json;
}

export async function replayDeadLetter(ctx: ViewContext, events: EventBus | undefined, id: string, body: unknown): Promise<Json> {
  const { input } = checked(`replay of dead letter ${id}`, replayBody, body);
  if (input !== undefined) {
    const json = toJournalJson(input);
    if ('problem' in json) throw new DashboardHttpError('BAD_REQUEST', `input ${json.problem.path} ${json.problem.why}`, 'input');
  }
  if ((await ctx.store.getDeadLetter(id)) === undefined) throw new DashboardHttpError('NOT_FOUND', `no dead letter ${shown(id)}`, 'id');
  const dlq = new DeadLetterQueue(ctx.store, { clock: ctx.clock, ...(events === undefined ? {} : { bus: events }) });
  return (await refusedAs409(() => dlq.requestReplay(id, input as Json | undefined))) as unknown as Json;
}

export async function discardDeadLetter(ctx: ViewContext, events: EventBus | undefined, id: string, body: unknown): Promise<Json> {
  const input = checked(`discard of dead letter ${id}`, discardBody, body);
  if ((await ctx.store.getDeadLetter(id)) === undefined) throw new DashboardHttpError('NOT_FOUND', `no dead letter ${shown(id)}`, 'id');
  const dlq = new DeadLetterQueue(ctx.store, { clock: ctx.clock, ...(events === undefined ? {} : { bus: events }) });
  const by = input.by ?? 'dashboard';
  return (await refusedAs409(() => dlq.discard(id, { by, ...(input.reason === undefined ? {} : { reason: input.reason }) }))) as unknown as Json;
}
