/**
 * The dashboard's HTTP API against a real store and a real server: every request needs the
 * token (401 without it), state-changing requests refuse other origins and a token only in the
 * URL, bad ids and bad input get clear errors and change nothing, and approvals and dead letters
 * are changed exactly as `warden approvals` and `warden dlq` change them (same audit trail).
 */
import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventBus, VirtualClock, type WardenEvent } from '../runtime/index.ts';
import { DurableHost, defineRun, publishHostSnapshots } from '../durable/index.ts';
import { defineSchedule, openScheduler, type SlotInput } from '../scheduler/index.ts';
import { describeStores, waitFor, type TestStore } from '../testing/index.ts';
import { startDashboard, type DashboardServer } from './index.ts';
import { dashboardProviders } from './providers.ts';

const mailer = defineRun('mailer', async (run, input: { to: string }) => {
  const body = await run.step('compose', () => `hello ${input.to}`);
  await run.effect('send', () => 'sent', { irreversible: true });
  return body;
});
const nightly = defineRun('nightly', async (run, slot: SlotInput<{ to: string }>) => run.step('compose', () => `digest for ${slot.input.to}`));
const failing = defineRun('failing', async (run) =>
  run.step('parse', () => {
    throw new SyntaxError('model returned malformed JSON');
  }),
);

const TOKEN = 'test-token-0123456789';

/** The status of GET /api/runs sent with this Host header (fetch cannot set Host; node:http can). */
function statusWithHost(dashboard: DashboardServer, host: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const req = request(`${dashboard.origin}/api/runs`, { headers: { host, authorization: `Bearer ${TOKEN}` } }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', reject);
    req.end();
  });
}

describeStores(describe, 'dashboard API', (c) => {
  let t: TestStore;
  let host: DurableHost;
  let dashboard: DashboardServer;
  let suspendedId: string;
  let letterId: string;
  let approvalId: string;

  const api = (path: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> => {
    const { token = TOKEN, headers, ...rest } = init;
    return fetch(`${dashboard.origin}${path}`, { ...rest, headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...headers } });
  };
  const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    api(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
  const errorOf = async (r: Response): Promise<{ code: string; message: string; field?: string }> =>
    ((await r.json()) as { error: { code: string; message: string } }).error;

  beforeEach(async () => {
    t = await c.open();
    const clock = new VirtualClock({ startMs: Date.UTC(2026, 0, 1) });
    const bus = new EventBus(clock);
    const events: WardenEvent[] = [];
    bus.onAny((e) => events.push(e));
    host = new DurableHost({ store: t.store, runs: [mailer, failing, nightly], clock, bus, owner: 'api-test-host' });
    suspendedId = (await host.start(mailer, { to: 'ceo@example.com' })).id;
    await waitFor(() => events.some((e) => e.type === 'run.suspended'), 'the mailer run suspends for approval');
    await (await host.start(failing, null)).result;
    letterId = (await t.store.listDeadLetters())[0]!.id;
    approvalId = (await t.store.listApprovals({ status: 'pending' }))[0]!.id;
    dashboard = await startDashboard({ store: t.store, token: TOKEN, clock });
  });
  afterEach(async () => {
    await dashboard.close();
    await host.close();
    await t.cleanup();
  });

  it('answers 401 to every request without the token, or with a wrong one', async () => {
    for (const path of ['/', '/app.js', '/vendor/preact.mjs', '/api/runs', `/api/runs/${suspendedId}`, '/api/dlq', '/api/events', '/api/nothing']) {
      const r = await api(path, { token: null });
      expect(r.status, path).toBe(401);
      expect((await errorOf(r)).code).toBe('UNAUTHORIZED');
    }
    expect((await api('/api/runs', { token: 'wrong-token-0123456789' })).status).toBe(401);
    expect((await post(`/api/approvals/${approvalId}/approve`, { by: 'eve', reason: 'x' }, { authorization: '' })).status).toBe(401);
    expect((await t.store.getApproval(approvalId))!.status).toBe('pending');
  });

  it('takes the token as ?token=, as a bearer header, or as the cookie the page sets', async () => {
    const page = await api(`/?token=${TOKEN}`, { token: null });
    expect(page.status).toBe(200);
    const cookie = page.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'; .*frame-ancestors 'none'/);
    expect((await api(`/api/runs?token=${TOKEN}`, { token: null })).status).toBe(200);
    const withCookie = await api('/api/runs', { token: null, headers: { cookie: cookie.split(';')[0]! } });
    expect(withCookie.status).toBe(200);
    expect(((await withCookie.json()) as { id: string }[]).map((r) => r.id)).toContain(suspendedId);
  });

  it('shows a run with its journal, effects, approvals and trace id; lists filter by status', async () => {
    const r = await api(`/api/runs/${suspendedId}`);
    expect(r.status).toBe(200);
    const shown = (await r.json()) as {
      run: { status: string; traceId: string };
      journal: { name: string; value: unknown }[];
      effects: unknown[];
      approvals: { id: string }[];
    };
    expect(shown.run.status).toBe('suspended');
    expect(shown.run.traceId).toMatch(/\w+/);
    expect(shown.journal.map((e) => [e.name, e.value])).toEqual([['compose', 'hello ceo@example.com']]);
    expect(shown.approvals.map((a) => a.id)).toEqual([approvalId]);
    const failed = (await (await api('/api/runs?status=failed')).json()) as { name: string }[];
    expect(failed.map((x) => x.name)).toEqual(['failing']);
  });

  it('refuses bad ids and bad query parameters with an error naming them', async () => {
    const noRun = await api('/api/runs/no-such-run');
    expect(noRun.status).toBe(404);
    expect(await errorOf(noRun)).toMatchObject({ code: 'NOT_FOUND', field: 'id', message: 'no run "no-such-run"' });
    expect((await api('/api/dlq/no-such-letter')).status).toBe(404);
    const badStatus = await api('/api/runs?status=sleeping');
    expect(badStatus.status).toBe(400);
    expect(await errorOf(badStatus)).toMatchObject({ field: 'status', message: expect.stringMatching(/status must be one of .* \(got "sleeping"\)/) });
    expect(await errorOf(await api('/api/dlq?limit=0'))).toMatchObject({ field: 'limit' });
    expect((await api('/api/nothing')).status).toBe(404);
  });

  it('approves with who and why, recorded in the audit trail as the CLI records it; a second decision is a conflict', async () => {
    const r = await post(`/api/approvals/${approvalId}/approve`, { by: 'alice', reason: 'invoice checked' });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ id: approvalId, status: 'approved', decidedBy: 'alice', decisionReason: 'invoice checked' });
    expect(await t.store.listAudit({ subject: `approval:${approvalId}` })).toMatchObject([
      { actor: 'alice', action: 'approval.approved', reason: 'invoice checked' },
    ]);
    expect((await t.store.getRun(suspendedId))!.request).toBe('resume');
    const again = await post(`/api/approvals/${approvalId}/deny`, { by: 'bob', reason: 'no' });
    expect(again.status).toBe(409);
    expect((await errorOf(again)).message).toMatch(/already approved by alice/);
    expect((await t.store.getApproval(approvalId))!.status).toBe('approved');
  });

  it('refuses a decision without who or why, an unknown field, a body that is not JSON, or an unknown approval, changing nothing', async () => {
    const cases: [string, unknown, number, RegExp][] = [
      [`/api/approvals/${approvalId}/approve`, { by: 'alice' }, 400, /reason/],
      [`/api/approvals/${approvalId}/approve`, { by: '  ', reason: 'ok' }, 400, /by must not be empty/],
      [`/api/approvals/${approvalId}/deny`, { by: 'alice', reason: 'ok', force: true }, 400, /force/],
      [`/api/approvals/${approvalId}/deny`, [1], 400, /must be an object \(got \[1\]\)/],
      ['/api/approvals/no-such-approval/approve', { by: 'alice', reason: 'ok' }, 404, /no approval "no-such-approval"/],
    ];
    for (const [path, body, status, message] of cases) {
      const r = await post(path, body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect((await errorOf(r)).message).toMatch(message);
    }
    const notJson = await api(`/api/approvals/${approvalId}/approve`, { method: 'POST', body: '{by:', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    const formPost = await api(`/api/approvals/${approvalId}/approve`, {
      method: 'POST',
      body: 'by=a&reason=b',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(formPost.status).toBe(415);
    expect((await t.store.getApproval(approvalId))!.status).toBe('pending');
    expect(await t.store.listAudit({ subject: `approval:${approvalId}` })).toEqual([]);
  });

  it('refuses a cross-site or cross-origin POST, and a POST whose token is only in the URL', async () => {
    const body = { by: 'mallory', reason: 'cross-site' };
    const crossOrigin = await post(`/api/approvals/${approvalId}/approve`, body, { origin: 'http://evil.example' });
    expect(crossOrigin.status).toBe(403);
    expect((await errorOf(crossOrigin)).message).toMatch(/cross-origin request refused \(Origin: http:\/\/evil.example\)/);
    expect((await post(`/api/approvals/${approvalId}/approve`, body, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await post(`/api/dlq/${letterId}/discard`, {}, { 'sec-fetch-site': 'same-site' })).status).toBe(403);
    const tokenInUrl = await api(`/api/approvals/${approvalId}/approve?token=${TOKEN}`, {
      token: null,
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    expect(tokenInUrl.status).toBe(401);
    expect((await errorOf(tokenInUrl)).message).toMatch(/not in the URL/);
    expect(await statusWithHost(dashboard, `attacker.example:${dashboard.port}`)).toBe(403); // DNS rebinding
    expect(await statusWithHost(dashboard, `localhost:${dashboard.port}`)).toBe(200);
    expect((await t.store.getApproval(approvalId))!.status).toBe('pending');
    expect((await t.store.getDeadLetter(letterId))!.status).toBe('pending');
    const sameOrigin = await post(
      `/api/approvals/${approvalId}/deny`,
      { by: 'alice', reason: 'wrong recipient' },
      { origin: dashboard.origin, 'sec-fetch-site': 'same-origin' },
    );
    expect(sameOrigin.status).toBe(200);
  });

  it('requests a replay (same or edited input) and discards with an audit entry, as warden dlq does', async () => {
    const badInput = await post(`/api/dlq/${letterId}/replay`, { input: 'x', extra: 1 });
    expect(badInput.status).toBe(400);
    expect((await t.store.getDeadLetter(letterId))!.status).toBe('pending');
    const replay = await post(`/api/dlq/${letterId}/replay`, { input: { retry: true } });
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ id: letterId, status: 'replay_requested', replayInput: { retry: true } });
    const twice = await post(`/api/dlq/${letterId}/replay`, {});
    expect(twice.status).toBe(409);
    expect((await errorOf(twice)).message).toMatch(/cannot replay it: it is replay_requested/);
    const discard = await post(`/api/dlq/${letterId}/discard`, { reason: 'duplicate order' });
    expect(discard.status).toBe(200);
    expect(await t.store.listAudit({ subject: `dlq:${letterId}` })).toMatchObject([{ actor: 'dashboard', action: 'dlq.discarded', reason: 'duplicate order' }]);
    expect((await post('/api/dlq/no-such-letter/discard', {})).status).toBe(404);
  });

  it('shows schedules and slots from the scheduler, and the health and alerts hosts publish', async () => {
    await dashboard.close();
    dashboard = await startDashboard({ store: t.store, token: TOKEN, providers: await dashboardProviders() });
    await openScheduler({ host, schedules: [defineSchedule({ id: 'nightly-mail', run: nightly, everyMs: 86_400_000, input: { to: 'ops@example.com' } })] });
    const schedules = (await (await api('/api/schedules')).json()) as { available: boolean; data: { schedules: { id: string }[]; slots: unknown[] } };
    expect(schedules.available).toBe(true);
    expect(schedules.data.schedules.map((x) => x.id)).toEqual(['nightly-mail']);

    const publisher = await publishHostSnapshots({
      store: t.store,
      host: 'worker-1',
      health: () => ({ status: 'degraded', levels: { l1: 'ok', l2: 'failing' } }),
      alerts: () => [{ kind: 'restart_rate', subject: 'fetcher', message: '6 restarts in 60 s' }],
    });
    await publisher.stop();
    const health = (await (await api('/api/health')).json()) as { hosts: { host: string; health: unknown }[]; report: { available: boolean } };
    expect(health.hosts).toMatchObject([{ host: 'worker-1', health: { status: 'degraded' } }]);
    expect(health.report.available).toBe(false);
    const alerts = (await (await api('/api/alerts')).json()) as { available: boolean; data: unknown[] };
    expect(alerts).toEqual({ available: true, data: [{ host: 'worker-1', kind: 'restart_rate', subject: 'fetcher', message: '6 restarts in 60 s' }] });
  });
});
