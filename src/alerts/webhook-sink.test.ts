/**
 * The webhook sink against a real HTTP server on loopback: an alert is POSTed signed, a 503 is
 * retried after the backoff on the virtual clock, a 400 is not, a server that never answers is
 * given up on at the deadline, a full queue drops the oldest, and neither the URL's path nor a
 * secret ever appears in an event.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarnessEvents } from '../testing/event-log.ts';
import { thrownBy, waitFor } from '../testing/index.ts';
import { AlertGate, WebhookSink, type Alert } from './index.ts';

interface Received {
  readonly headers: IncomingMessage['headers'];
  readonly url: string;
  readonly body: string;
}

const servers: { close(): void; closeAllConnections(): void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

/** A loopback server answering each POST with the next status of `statuses` (the last one repeats; 0 never answers). */
async function startReceiver(statuses: number[]): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      received.push({ headers: req.headers, url: req.url ?? '', body });
      const status = statuses[Math.min(received.length - 1, statuses.length - 1)]!;
      if (status === 0) return; // hang
      res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/services/T0/B0/s3cr3t-path-token`, received };
}

const SECRET = 'hmac-secret-value';
const TOKEN = 'Bearer header-secret-value';

function setup(url: string, options: Partial<ConstructorParameters<typeof WebhookSink>[0]> = {}) {
  const h = startHarnessEvents();
  const sink = new WebhookSink({ url, bus: h.bus, clock: h.clock, random: () => 0.5, secret: SECRET, headers: { authorization: TOKEN }, ...options });
  const gate = new AlertGate('subagents', h.bus, h.clock, 60_000);
  const raise = (subject = 'memory-sync'): Alert | undefined =>
    gate.raise({ kind: 'subagent_count', severity: 'critical', subject, message: `2 "${subject}" running at once (at most 1)`, value: 2, threshold: 1 });
  /** Nothing about the sink's secrets in any event. */
  const leaks = (): string[] => {
    const text = JSON.stringify(h.events, (_, v: unknown) => (v instanceof Error ? { ...v, message: v.message } : v));
    return ['s3cr3t-path-token', SECRET, 'header-secret-value'].filter((s) => text.includes(s));
  };
  return { ...h, sink, raise, leaks };
}

describe('the webhook sink', () => {
  it('POSTs each alert as JSON, signed, with the given headers', async () => {
    const { url, received } = await startReceiver([200]);
    const { sink, raise, of, leaks } = setup(url);
    const alert = raise()!;
    await sink.drain();
    expect(received).toHaveLength(1);
    const [r] = received;
    expect(r!.url).toBe('/services/T0/B0/s3cr3t-path-token');
    expect(r!.headers['content-type']).toBe('application/json');
    expect(r!.headers.authorization).toBe(TOKEN);
    expect(JSON.parse(r!.body)).toEqual({ text: alert.message, alert });
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(r!.headers['x-warden-signature']))!;
    expect(v1).toBe(createHmac('sha256', SECRET).update(`${t}.${r!.body}`).digest('hex'));
    expect(r!.body).not.toContain(SECRET);
    expect(of('alert.delivered')).toMatchObject([{ sink: 'webhook', alertId: alert.id, attempts: 1, status: 200 }]);
    expect(leaks()).toEqual([]);
  });

  it('sends one webhook for a burst of a thousand repeats of one incident', async () => {
    const { url, received } = await startReceiver([200]);
    const { sink, raise } = setup(url);
    for (let i = 0; i < 1000; i++) raise();
    await sink.drain();
    expect(received).toHaveLength(1);
  });

  it('retries a 503 after the backoff on the clock, then delivers', async () => {
    const { url, received } = await startReceiver([503, 503, 200]);
    const { sink, raise, clock, of, leaks } = setup(url, { baseDelayMs: 1000 });
    raise();
    await waitFor(() => received.length === 1, 'the first attempt arrived');
    await waitFor(async () => {
      await clock.advance(1000);
      return received.length === 3;
    }, 'the retries arrived');
    await sink.drain();
    expect(of('alert.delivered')).toMatchObject([{ attempts: 3, status: 200 }]);
    expect(leaks()).toEqual([]);
  });

  it('does not retry a 400, and reports the failure without the URL path or secrets', async () => {
    const { url, received } = await startReceiver([400]);
    const { sink, raise, of, leaks } = setup(url);
    raise();
    await sink.drain();
    expect(received).toHaveLength(1);
    const [failed] = of('alert.delivery_failed');
    expect(failed).toMatchObject({ attempts: 1, dropped: false });
    expect(failed!.reason).toBe(`HTTP 400 from ${new URL(url).origin}`);
    expect(leaks()).toEqual([]);
  });

  it('gives up on a server that never answers once every attempt passed its deadline', async () => {
    const { url, received } = await startReceiver([0]);
    const { sink, raise, clock, of, leaks } = setup(url, { timeoutMs: 2000, maxAttempts: 2, baseDelayMs: 100 });
    raise();
    await waitFor(async () => {
      await clock.advance(500);
      return of('alert.delivery_failed').length === 1;
    }, 'the sink gave up');
    await sink.drain();
    expect(received).toHaveLength(2);
    expect(of('alert.delivery_failed')).toMatchObject([{ attempts: 2, reason: expect.stringContaining('in time'), dropped: false }]);
    expect(leaks()).toEqual([]);
  });

  it('drops the oldest waiting alert past its capacity', async () => {
    const { url, received } = await startReceiver([200]);
    const { sink, raise, of } = setup(url, { capacity: 2 });
    for (const subject of ['a', 'b', 'c', 'd']) raise(subject); // 'a' is being sent; 'b' is dropped for 'd'
    await sink.drain();
    expect(received.map((r) => (JSON.parse(r.body) as { alert: Alert }).alert.subject)).toEqual(['a', 'c', 'd']);
    expect(of('alert.delivery_failed')).toMatchObject([{ dropped: true, attempts: 0, reason: 'queue full (capacity 2)' }]);
  });

  it('refuses bad options naming the field, never showing the URL path or the secret', () => {
    const { bus } = startHarnessEvents();
    const bad = thrownBy(() => new WebhookSink({ bus, url: 'ftp://hooks.example.com/s3cr3t-path-token' }));
    expect(bad).toMatchObject({ code: 'INVALID_SPEC', path: 'url' });
    expect((bad as Error).message).not.toContain('s3cr3t');
    const badSecret = thrownBy(() => new WebhookSink({ bus, url: 'https://hooks.example.com/x', secret: 'abc', timeoutMs: -1 }));
    expect(badSecret).toMatchObject({ code: 'INVALID_SPEC', path: 'timeoutMs' });
    expect(thrownBy(() => new WebhookSink({ bus, url: 'https://h.example.com/', maxAttempts: 0 }))).toMatchObject({ path: 'maxAttempts' });
  });
});
