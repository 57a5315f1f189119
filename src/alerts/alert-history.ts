/**
 * The recent alerts, for a dashboard or a CLI: the last `capacity` alerts raised on a bus, newest
 * first, each marked resolved once its condition cleared.
 */
import { z } from 'zod';
import type { Disposable, EventBus } from '../runtime/index.ts';
import { parseWith } from '../runtime/internal.ts';
import type { Alert } from './alert.ts';

export interface AlertRecord extends Alert {
  /** Clock reading when its condition cleared, if it has. */
  readonly resolvedAt?: number;
}

export interface AlertHistoryOptions {
  readonly bus: EventBus;
  /** Alerts kept. @default 200 */
  readonly capacity?: number;
}

const optionsSchema = z.strictObject({
  bus: z.custom<EventBus>((v) => typeof (v as EventBus | undefined)?.on === 'function', { message: 'must be an EventBus' }),
  capacity: z.number().int().min(1).optional(),
});

export class AlertHistory implements Disposable {
  private records: AlertRecord[] = [];
  private readonly capacity: number;
  private readonly subscriptions: Disposable[];

  constructor(options: AlertHistoryOptions) {
    const o = parseWith('alert history', optionsSchema, options);
    this.capacity = o.capacity ?? 200;
    this.subscriptions = [
      o.bus.on('alert.raised', (e) => {
        this.records.push(e.alert);
        if (this.records.length > this.capacity) this.records = this.records.slice(-this.capacity);
      }),
      o.bus.on('alert.resolved', (e) => {
        for (let i = this.records.length - 1; i >= 0; i--) {
          const r = this.records[i]!;
          if (r.monitor === e.monitor && r.kind === e.kind && r.subject === e.subject && r.resolvedAt === undefined) {
            this.records[i] = { ...r, resolvedAt: e.at };
            break;
          }
        }
      }),
    ];
  }

  /** Newest first. */
  list(): readonly AlertRecord[] {
    return [...this.records].reverse();
  }

  /** The alerts whose condition has not cleared, newest first. */
  active(): readonly AlertRecord[] {
    return this.list().filter((r) => r.resolvedAt === undefined);
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
