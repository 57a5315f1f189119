/**
 * Webhook sink: every `alert.raised` on the bus is POSTed as JSON to a URL (a chat webhook, a
 * pager, your own endpoint), one at a time, in order.
 *
 * - Bounded: each attempt has a deadline (`timeoutMs`, on the injected clock, aborting the
 *   request); transient failures (network errors, timeouts, 408/429/5xx, honouring Retry-After)
 *   are retried with full-jitter backoff up to `maxAttempts` in all; others fail at once. The
 *   queue holds at most `capacity` alerts; past it the oldest waiting one is dropped and reported.
 *   The retries are the resilience layer's `Retry` and `Timeout` policies.
 * - Secrets stay secret: the URL (chat webhooks carry their token in the path) and `headers`
 *   (an `Authorization` header, say) never appear in events or errors, which name the sink and
 *   the URL's origin only; with `secret`, each body is signed with HMAC-SHA256 in
 *   `x-warden-signature: t=<ms>,v1=<hex of HMAC(secret, "<t>.<body>")>`, the secret itself
 *   never sent.
 * - The body is `{ text, alert }` by default (`text` is what Slack-style webhooks show); `format`
 *   changes it.
 *
 * The monitors' cool-down already makes one incident one alert; the sink sends what it is given.
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { realClock, systemRandom, type Clock, type Disposable, type EventBus, type Random } from '../runtime/index.ts';
import { parseWith } from '../runtime/internal.ts';
import { HttpStatusError, Retry, Timeout, retryAfterFromHeaders, wrap } from '../resilience/index.ts';
import { ALERT_KINDS, type Alert, type AlertKind } from './alert.ts';

export interface WebhookSinkOptions {
  /** Name in events. @default 'webhook' */
  readonly name?: string;
  /** Where alerts are POSTed (http or https). Never shown in events or errors. */
  readonly url: string;
  /** The stream read for `alert.raised` and reported on. */
  readonly bus: EventBus;
  /** @default realClock */
  readonly clock?: Clock;
  /** Jitter of the retry backoff. @default systemRandom */
  readonly random?: Random;
  /** Signs each body (see the module comment). @default none */
  readonly secret?: string;
  /** Extra request headers, sent as given and never shown. @default none */
  readonly headers?: Readonly<Record<string, string>>;
  /** Deadline of each attempt, ms. @default 5000 */
  readonly timeoutMs?: number;
  /** Attempts per alert, the first included. @default 4 */
  readonly maxAttempts?: number;
  /** Cap of the first backoff delay, ms. @default 1000 */
  readonly baseDelayMs?: number;
  /** Largest backoff delay, ms. @default 30_000 */
  readonly maxDelayMs?: number;
  /** Alerts waiting at most. @default 100 */
  readonly capacity?: number;
  /** Only alerts of these kinds. @default every kind */
  readonly kinds?: readonly AlertKind[];
  /** The JSON body for an alert. @default `{ text: alert.message, alert }` */
  readonly format?: (alert: Alert) => unknown;
}

export const WEBHOOK_SINK_DEFAULTS = Object.freeze({ name: 'webhook', timeoutMs: 5000, maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 30_000, capacity: 100 });

const optionsSchema = z.strictObject({
  name: z.string().min(1).optional(),
  url: z.string().refine(
    (v) => {
      try {
        return ['http:', 'https:'].includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: 'must be an http or https URL' },
  ),
  bus: z.custom<EventBus>((v) => typeof (v as EventBus | undefined)?.on === 'function', { message: 'must be an EventBus' }),
  clock: z.custom<Clock>((v) => typeof (v as Clock | undefined)?.setTimer === 'function', { message: 'must be a Clock' }).optional(),
  random: z.custom<Random>((v) => typeof v === 'function', { message: 'must be a function returning [0, 1)' }).optional(),
  secret: z.string().min(1).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  timeoutMs: z.number().finite().gt(0).optional(),
  maxAttempts: z.number().int().min(1).max(20).optional(),
  baseDelayMs: z.number().finite().min(0).optional(),
  maxDelayMs: z.number().finite().min(0).optional(),
  capacity: z.number().int().min(1).optional(),
  kinds: z.array(z.enum(ALERT_KINDS as [AlertKind, ...AlertKind[]])).optional(),
  format: z.custom<(alert: Alert) => unknown>((v) => typeof v === 'function', { message: 'must be a function' }).optional(),
});

export class WebhookSink implements Disposable {
  readonly name: string;
  private readonly url: string;
  /** The URL's origin: all that events and errors ever show of it. */
  private readonly origin: string;
  private readonly bus: EventBus;
  private readonly clock: Clock;
  private readonly secret: string | undefined;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly capacity: number;
  private readonly kinds: ReadonlySet<AlertKind> | undefined;
  private readonly format: (alert: Alert) => unknown;
  private readonly policy: ReturnType<typeof wrap>;
  private readonly maxAttempts: number;
  private readonly queue: Alert[] = [];
  private readonly subscription: Disposable;
  private active: Promise<void> | undefined;
  private closed = false;

  constructor(options: WebhookSinkOptions) {
    const subject = typeof options?.name === 'string' ? `webhook sink "${options.name}"` : 'webhook sink';
    const o = parseWith(subject, optionsSchema, hideSecrets(options));
    const d = WEBHOOK_SINK_DEFAULTS;
    this.name = o.name ?? d.name;
    this.url = options.url;
    this.origin = new URL(options.url).origin;
    this.bus = o.bus;
    this.clock = o.clock ?? realClock;
    this.secret = options.secret;
    this.headers = { ...options.headers };
    this.capacity = o.capacity ?? d.capacity;
    this.kinds = o.kinds === undefined ? undefined : new Set(o.kinds);
    this.format = o.format ?? ((alert) => ({ text: alert.message, alert }));
    this.maxAttempts = o.maxAttempts ?? d.maxAttempts;
    this.policy = wrap(
      new Retry({
        name: this.name,
        maxAttempts: this.maxAttempts,
        baseDelayMs: o.baseDelayMs ?? d.baseDelayMs,
        maxDelayMs: o.maxDelayMs ?? d.maxDelayMs,
        clock: this.clock,
        random: o.random ?? systemRandom,
      }),
      new Timeout({ name: this.name, timeoutMs: o.timeoutMs ?? d.timeoutMs, strategy: 'aggressive', clock: this.clock }),
    );
    this.subscription = this.bus.on('alert.raised', (e) => this.enqueue(e.alert));
  }

  /** Alerts waiting (not counting the one being sent). */
  get waiting(): number {
    return this.queue.length;
  }

  /** Queue `alert` for delivery (the sink does this for every `alert.raised` on its bus). */
  enqueue(alert: Alert): void {
    if (this.closed || (this.kinds !== undefined && !this.kinds.has(alert.kind))) return;
    if (this.queue.length >= this.capacity) {
      const dropped = this.queue.shift();
      if (dropped !== undefined) this.failed(dropped.id, 0, `queue full (capacity ${this.capacity})`, true);
    }
    this.queue.push(alert);
    this.active ??= this.deliverAll();
  }

  /** Resolves once every alert queued so far has been delivered or given up on. */
  async drain(): Promise<void> {
    while (this.active !== undefined) await this.active;
  }

  /** Stop taking alerts and wait for those queued. */
  async close(): Promise<void> {
    this.subscription.dispose();
    this.closed = true;
    await this.drain();
  }

  dispose(): void {
    this.subscription.dispose();
    this.closed = true;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  private async deliverAll(): Promise<void> {
    try {
      for (let alert = this.queue.shift(); alert !== undefined; alert = this.queue.shift()) await this.deliver(alert);
    } finally {
      this.active = undefined;
    }
  }

  private async deliver(alert: Alert): Promise<void> {
    const body = JSON.stringify(this.format(alert));
    let attempts = 0;
    try {
      const status = await this.policy.execute(async ({ signal }) => {
        attempts++;
        return this.post(body, signal);
      });
      if (this.bus.wants('alert.delivered')) this.bus.emit({ type: 'alert.delivered', sink: this.name, alertId: alert.id, attempts, status });
    } catch (error) {
      this.failed(alert.id, attempts, this.describe(error), false);
    }
  }

  private async post(body: string, signal: AbortSignal): Promise<number> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'warden-alerts', ...this.headers };
    if (this.secret !== undefined) {
      const t = Math.round(this.clock.now());
      headers['x-warden-signature'] = `t=${t},v1=${createHmac('sha256', this.secret).update(`${t}.${body}`).digest('hex')}`;
    }
    const response = await fetch(this.url, { method: 'POST', headers, body, signal, redirect: 'manual' });
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return response.status;
    const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
    throw new HttpStatusError(response.status, this.origin, retryAfterFromHeaders(response.headers, this.clock.now()), retryable);
  }

  /** A failure in words that never carry the URL's path or query, nor a header. */
  private describe(error: unknown): string {
    const e = error as { name?: unknown; code?: unknown; status?: unknown; cause?: { code?: unknown } };
    if (typeof e?.status === 'number') return `HTTP ${e.status} from ${this.origin}`;
    if (e?.code === 'TIMEOUT') return `no answer from ${this.origin} in time`;
    const cause = typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
    const name = typeof e?.name === 'string' ? e.name : 'Error';
    return `${name}${cause === undefined ? '' : ` (${cause})`} posting to ${this.origin}`;
  }

  private failed(alertId: string, attempts: number, reason: string, dropped: boolean): void {
    if (this.bus.wants('alert.delivery_failed')) this.bus.emit({ type: 'alert.delivery_failed', sink: this.name, alertId, attempts, reason, dropped });
  }
}

/** The options with the secret fields masked, so a validation error never shows them. */
function hideSecrets(options: WebhookSinkOptions): unknown {
  if (typeof options !== 'object' || options === null) return options;
  const shown: Record<string, unknown> = { ...options };
  if (typeof shown.secret === 'string' && shown.secret !== '') shown.secret = '[redacted]';
  if (typeof shown.url === 'string') {
    try {
      shown.url = `${new URL(shown.url).origin}/[redacted]`;
    } catch {
      shown.url = '[redacted]';
    }
  }
  if (typeof shown.headers === 'object' && shown.headers !== null) {
    shown.headers = Object.fromEntries(Object.entries(shown.headers).map(([k, v]) => [k, typeof v === 'string' ? '[redacted]' : v]));
  }
  return shown;
}
