/**
 * What the dashboard shows, read from the store: the JSON behind each view and each `/api/`
 * route. Query parameters are checked here (a bad status or limit is a 400 naming it); an id
 * that names nothing is a 404. Runs are listed newest first and a page at a time (`limit`), so
 * a store with many thousands of runs answers as fast as one with a few.
 */
import { APPROVAL_STATUSES, DEAD_LETTER_STATUSES, RUN_STATUSES, type Json, type Store } from '../store/index.ts';
import { readHostSamples, readHostSnapshots } from '../durable/index.ts';
import type { Clock } from '../runtime/index.ts';
import { DashboardHttpError, shown } from './http-error.ts';
import type { DashboardProviders } from './options.ts';

export interface ViewContext {
  readonly store: Store;
  readonly clock: Clock;
  readonly providers: DashboardProviders;
  readonly pageSize: number;
  readonly plotWindowMs: number;
}

/** Query parameters of a request. */
export type Query = Readonly<Record<string, string | undefined>>;

function choiceParam<T extends string>(query: Query, name: string, choices: readonly T[]): T | undefined {
  const v = query[name];
  if (v === undefined || v === '') return undefined;
  if (!choices.includes(v as T)) throw new DashboardHttpError('BAD_REQUEST', `${name} must be one of ${choices.join(', ')} (got ${shown(v)})`, name);
  return v as T;
}

function limitParam(query: Query, fallback: number): number {
  const v = query.limit;
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 10_000)
    throw new DashboardHttpError('BAD_REQUEST', `limit must be an integer from 1 to 10000 (got ${shown(v)})`, 'limit');
  return n;
}

function textParam(query: Query, name: string): string | undefined {
  const v = query[name];
  return v === undefined || v === '' ? undefined : v;
}

export async function listRunsView(ctx: ViewContext, query: Query): Promise<Json> {
  const status = choiceParam(query, 'status', RUN_STATUSES);
  const name = textParam(query, 'name');
  const runs = await ctx.store.listRuns({
    ...(status === undefined ? {} : { status }),
    ...(name === undefined ? {} : { name }),
    limit: limitParam(query, ctx.pageSize),
  });
  return runs as unknown as Json;
}

export async function runView(ctx: ViewContext, id: string): Promise<Json> {
  const run = await ctx.store.getRun(id);
  if (run === undefined) throw new DashboardHttpError('NOT_FOUND', `no run ${shown(id)}`, 'id');
  const live = await ctx.store.readJournal(run.id);
  const journal = live.length > 0 || run.archivedAt === undefined ? live : ((await ctx.store.readArchivedJournal(run.id)) ?? []);
  const [effects, approvals] = await Promise.all([ctx.store.listEffects(run.id), ctx.store.listApprovals({ runId: run.id })]);
  return {
    run,
    journal: journal.map((e) => ({ ...e, value: e.valueJson === undefined ? undefined : JSON.parse(e.valueJson), valueJson: undefined })),
    effects,
    approvals,
  } as unknown as Json;
}

export async function listDeadLettersView(ctx: ViewContext, query: Query): Promise<Json> {
  const status = choiceParam(query, 'status', DEAD_LETTER_STATUSES) ?? 'pending';
  const source = textParam(query, 'source');
  return (await ctx.store.listDeadLetters({ status, ...(source === undefined ? {} : { source }), limit: limitParam(query, ctx.pageSize) })) as unknown as Json;
}

export async function deadLetterView(ctx: ViewContext, id: string): Promise<Json> {
  const letter = await ctx.store.getDeadLetter(id);
  if (letter === undefined) throw new DashboardHttpError('NOT_FOUND', `no dead letter ${shown(id)}`, 'id');
  const audit = await ctx.store.listAudit({ subject: `dlq:${id}` });
  return { letter, audit } as unknown as Json;
}

export async function listApprovalsView(ctx: ViewContext, query: Query): Promise<Json> {
  const status = choiceParam(query, 'status', [...APPROVAL_STATUSES, 'all'] as const) ?? 'pending';
  const runId = textParam(query, 'run');
  return (await ctx.store.listApprovals({ ...(status === 'all' ? {} : { status }), ...(runId === undefined ? {} : { runId }) })) as unknown as Json;
}

export async function auditView(ctx: ViewContext, query: Query): Promise<Json> {
  const subject = textParam(query, 'subject');
  return (await ctx.store.listAudit({ ...(subject === undefined ? {} : { subject }), limit: limitParam(query, ctx.pageSize) })) as unknown as Json;
}

/** Quarantined inputs (those with `quarantinedAt`), or with `all=1` every recorded crash too. */
export async function quarantineView(ctx: ViewContext, query: Query): Promise<Json> {
  const all = choiceParam(query, 'all', ['0', '1']) === '1';
  const records = await ctx.store.listQuarantine(textParam(query, 'namespace'));
  return records.filter((r) => all || (r.record as { quarantinedAt?: unknown } | null)?.quarantinedAt != null) as unknown as Json;
}

export async function hostsView(ctx: ViewContext): Promise<Json> {
  return (await readHostSnapshots(ctx.store, ctx.clock.now())) as unknown as Json;
}

/** Samples for the plots: `since` (clock ms) defaults to the plot window. */
export async function samplesView(ctx: ViewContext, query: Query): Promise<Json> {
  const raw = query.since;
  let since = ctx.clock.now() - ctx.plotWindowMs;
  if (raw !== undefined && raw !== '') {
    since = Number(raw);
    if (!Number.isFinite(since)) throw new DashboardHttpError('BAD_REQUEST', `since must be a time in ms (got ${shown(raw)})`, 'since');
  }
  const host = textParam(query, 'host');
  return (await readHostSamples(ctx.store, { since, ...(host === undefined ? {} : { host }) })) as unknown as Json;
}

/** A provider's view: `{ available: false }` without one, `{ available: true, data }` with one. */
export async function providedView(ctx: ViewContext, name: keyof DashboardProviders): Promise<Json> {
  const provider = ctx.providers[name];
  if (provider === undefined) return { available: false };
  try {
    return { available: true, data: await provider(ctx.store) };
  } catch (e) {
    throw new DashboardHttpError('PROVIDER_FAILED', `the ${name} view failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Alerts: what each host published with its snapshot (each alert with its `host`; a host's
 * alerts that are not a list are one row), then the alerts provider's, if there is one.
 */
export async function alertsView(ctx: ViewContext): Promise<Json> {
  const hosts = await readHostSnapshots(ctx.store, ctx.clock.now());
  const published: Json[] = hosts.flatMap((h) =>
    h.alerts === undefined
      ? []
      : (Array.isArray(h.alerts) ? h.alerts : [h.alerts]).map((a: Json) =>
          a !== null && typeof a === 'object' && !Array.isArray(a) ? { host: h.host, ...a } : { host: h.host, alert: a },
        ),
  );
  const provided = await providedView(ctx, 'alerts');
  const fromProvider = (provided as { data?: Json }).data;
  return {
    available: true,
    data: fromProvider === undefined ? published : Array.isArray(fromProvider) ? [...published, ...fromProvider] : { published, report: fromProvider },
  };
}

/** Health: what each host published with its snapshot, and the health provider's report if there is one. */
export async function healthView(ctx: ViewContext): Promise<Json> {
  const hosts = await readHostSnapshots(ctx.store, ctx.clock.now());
  return {
    hosts: hosts.map((h) => ({ host: h.host, stale: h.stale, stopped: h.stopped, publishedAt: h.publishedAt, health: h.health ?? null })),
    report: await providedView(ctx, 'health'),
  } as Json;
}
