/**
 * The dashboard's HTTP routes on hono: the page (`/`), its files, `/api/...` (JSON, the same
 * data the page shows) and `/api/events` (server-sent events naming the views that changed).
 * Every request passes the access check first (access.ts); errors answer as JSON with a status
 * (http-error.ts). Loaded only when a dashboard starts, so hono stays out of everything else.
 */
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { EventBus } from '../runtime/index.ts';
import { accessCheck, tokenCookie } from './access.ts';
import { decideApproval, discardDeadLetter, replayDeadLetter } from './actions.ts';
import { PAGE_CSP, PAGE_HTML, assetFor } from './assets.ts';
import { DashboardHttpError } from './http-error.ts';
import type { ChangeWatcher } from './live.ts';
import {
  alertsView,
  auditView,
  deadLetterView,
  healthView,
  hostsView,
  listApprovalsView,
  listDeadLettersView,
  listRunsView,
  providedView,
  quarantineView,
  runView,
  samplesView,
  type ViewContext,
} from './views.ts';

export interface AppParts {
  readonly ctx: ViewContext;
  readonly token: string;
  readonly loopback: boolean;
  readonly watcher: ChangeWatcher;
  readonly events: EventBus | undefined;
  /** Ends the event streams when the server closes. */
  readonly closing: AbortSignal;
}

/** How often an open event stream gets a comment line, so proxies and browsers keep it open (ms, on the clock). */
const KEEPALIVE_MS = 15_000;

/** The JSON body of a state-changing request; 415 unless it says it is JSON, 400 unless it parses. */
async function jsonBody(c: Context): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new DashboardHttpError(
      'UNSUPPORTED_MEDIA_TYPE',
      `the body must be JSON with Content-Type: application/json (got ${type === '' ? 'none' : `"${type}"`})`,
    );
  }
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new DashboardHttpError('BAD_REQUEST', `the body is not JSON: ${(e as Error).message}`);
  }
}

export function dashboardApp(parts: AppParts): Hono {
  const { ctx, watcher, events } = parts;
  const check = accessCheck(parts.token, parts.loopback);
  const app = new Hono();

  app.onError((e, c) => {
    if (e instanceof DashboardHttpError) return c.json(e.toJSON(), e.status);
    return c.json({ error: { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) } }, 500);
  });
  app.notFound((c) => c.json(new DashboardHttpError('NOT_FOUND', `no such page or API: ${c.req.method} ${c.req.path}`).toJSON(), 404));

  app.use('*', async (c, next) => {
    const verdict = check(c.req.raw);
    if (!verdict.ok) {
      const code = verdict.status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN';
      return c.json(new DashboardHttpError(code, verdict.message).toJSON(), verdict.status);
    }
    c.header('Cache-Control', 'no-store');
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Frame-Options', 'DENY');
    if (verdict.via === 'query' && c.req.path === '/') c.header('Set-Cookie', tokenCookie(parts.token));
    await next();
  });

  app.get('/', (c) => c.html(PAGE_HTML, 200, { 'Content-Security-Policy': PAGE_CSP }));
  for (const path of ['/:file{[a-z]+\\.(?:js|css)}', '/vendor/:file']) {
    app.get(path, async (c) => {
      const asset = assetFor(c.req.path);
      if (asset === undefined) throw new DashboardHttpError('NOT_FOUND', `no file ${c.req.path}`);
      const { body, contentType } = await asset;
      return c.body(body, 200, { 'Content-Type': contentType });
    });
  }

  const query = (c: Context): Record<string, string> => c.req.query();
  app.get('/api/runs', async (c) => c.json(await listRunsView(ctx, query(c))));
  app.get('/api/runs/:id', async (c) => c.json(await runView(ctx, c.req.param('id'))));
  app.get('/api/dlq', async (c) => c.json(await listDeadLettersView(ctx, query(c))));
  app.get('/api/dlq/:id', async (c) => c.json(await deadLetterView(ctx, c.req.param('id'))));
  app.post('/api/dlq/:id/replay', async (c) => c.json(await replayDeadLetter(ctx, events, c.req.param('id'), await jsonBody(c))));
  app.post('/api/dlq/:id/discard', async (c) => c.json(await discardDeadLetter(ctx, events, c.req.param('id'), await jsonBody(c))));
  app.get('/api/approvals', async (c) => c.json(await listApprovalsView(ctx, query(c))));
  app.post('/api/approvals/:id/approve', async (c) => c.json(await decideApproval(ctx, events, c.req.param('id'), 'approve', await jsonBody(c))));
  app.post('/api/approvals/:id/deny', async (c) => c.json(await decideApproval(ctx, events, c.req.param('id'), 'deny', await jsonBody(c))));
  app.get('/api/audit', async (c) => c.json(await auditView(ctx, query(c))));
  app.get('/api/quarantine', async (c) => c.json(await quarantineView(ctx, query(c))));
  app.get('/api/hosts', async (c) => c.json(await hostsView(ctx)));
  app.get('/api/samples', async (c) => c.json(await samplesView(ctx, query(c))));
  app.get('/api/schedules', async (c) => c.json(await providedView(ctx, 'schedules')));
  app.get('/api/alerts', async (c) => c.json(await alertsView(ctx)));
  app.get('/api/health', async (c) => c.json(await healthView(ctx)));

  app.get('/api/events', (c) =>
    streamSSE(c, async (stream) => {
      await stream.writeSSE({ event: 'ready', data: '{}' });
      const subscription = watcher.subscribe((topics) => {
        void stream.writeSSE({ event: 'change', data: JSON.stringify({ topics }) }).catch(() => undefined);
      });
      let keepalive = ctx.clock.setTimer(KEEPALIVE_MS, function beat() {
        void stream.write(': keepalive\n\n').catch(() => undefined);
        keepalive = ctx.clock.setTimer(KEEPALIVE_MS, beat);
      });
      await new Promise<void>((resolve) => {
        stream.onAbort(resolve);
        if (parts.closing.aborted) resolve();
        else parts.closing.addEventListener('abort', () => resolve(), { once: true });
      });
      keepalive.cancel();
      subscription.dispose();
    }),
  );

  return app;
}
