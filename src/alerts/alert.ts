/**
 * What an alert is, and the gate every monitor raises its alerts through: one alert per incident,
 * not one per event. An alert for a (kind, subject) is raised at most once per `cooldownMs`; the
 * repeats in between are folded into the next one's `suppressed` count. So a burst of a thousand
 * duplicate spawns is one alert (and one webhook), and a condition that lasts an hour is one
 * alert per cool-down, each saying how many it stood for. `alert.resolved` is reported once per
 * alert raised, when its condition first clears (a repeat folded into it does not raise it again).
 */
import type { Clock, EventBus } from '../runtime/index.ts';

export type AlertKind = 'subagent_count' | 'subagent_growth' | 'spend_rate' | 'restart_rate';
export const ALERT_KINDS: readonly AlertKind[] = ['subagent_count', 'subagent_growth', 'spend_rate', 'restart_rate'];
export type AlertSeverity = 'warning' | 'critical';

export interface Alert {
  /** Unique in this process: `<monitor>:<kind>:<subject>#<n>`. */
  readonly id: string;
  /** The monitor that raised it (its `name`). */
  readonly monitor: string;
  readonly kind: AlertKind;
  readonly severity: AlertSeverity;
  /** What it is about: a kind of child (`memory-sync`), a budget scope, a supervisor's child. */
  readonly subject: string;
  /** One line for a person. */
  readonly message: string;
  /** The measured value (children running, starts or restarts in the window, spend in the window). */
  readonly value: number;
  /** The bound it passed. */
  readonly threshold: number;
  /** The window the value was measured over, ms (absent for a count at one instant). */
  readonly windowMs?: number;
  /** Repeats since the previous alert of this kind and subject that were folded into this one. */
  readonly suppressed: number;
  /** Clock reading when it was raised. */
  readonly at: number;
}

/** What a monitor says about a condition; the gate adds the id, monitor, suppressed count and time. */
export type AlertInput = Omit<Alert, 'id' | 'monitor' | 'suppressed' | 'at'>;

interface Incident {
  lastRaisedAt: number;
  suppressed: number;
  active: boolean;
}

let sequence = 0;

export class AlertGate {
  private readonly incidents = new Map<string, Incident>();
  private readonly monitor: string;
  private readonly bus: EventBus;
  private readonly clock: Clock;
  /** Least time between two alerts of one kind and subject, ms; may be changed at any time. */
  cooldownMs: number;

  constructor(monitor: string, bus: EventBus, clock: Clock, cooldownMs: number) {
    this.monitor = monitor;
    this.bus = bus;
    this.clock = clock;
    this.cooldownMs = cooldownMs;
  }

  /** Raise `input` unless one of its kind and subject was raised within the cool-down; returns the alert raised, if any. */
  raise(input: AlertInput): Alert | undefined {
    const key = `${input.kind}\u0000${input.subject}`;
    const now = this.clock.now();
    const incident = this.incidents.get(key);
    if (incident !== undefined && now - incident.lastRaisedAt < this.cooldownMs) {
      incident.suppressed++;
      return undefined;
    }
    const alert: Alert = {
      ...input,
      id: `${this.monitor}:${input.kind}:${input.subject}#${++sequence}`,
      monitor: this.monitor,
      suppressed: incident?.suppressed ?? 0,
      at: now,
    };
    this.incidents.set(key, { lastRaisedAt: now, suppressed: 0, active: true });
    this.bus.emit({ type: 'alert.raised', alert });
    return alert;
  }

  /** The condition of (kind, subject) has cleared: report `alert.resolved` if an alert of it was active. */
  resolve(kind: AlertKind, subject: string): void {
    const incident = this.incidents.get(`${kind}\u0000${subject}`);
    if (incident === undefined || !incident.active) return;
    incident.active = false;
    this.bus.emit({ type: 'alert.resolved', monitor: this.monitor, kind, subject });
  }

  /** Whether an alert of (kind, subject) is active (raised and not resolved). */
  isActive(kind: AlertKind, subject: string): boolean {
    return this.incidents.get(`${kind}\u0000${subject}`)?.active === true;
  }
}
