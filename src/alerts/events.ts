/**
 * The alerts layer's events, on the one stream. `alert.raised` is the alert itself (sinks and the
 * dashboard read it); the others report what became of it.
 */
import type { Alert, AlertKind } from './alert.ts';

declare module '../runtime/index.ts' {
  interface WardenEventMap {
    /** A monitor raised an alert (at most one per kind and subject per cool-down). */
    'alert.raised': { readonly alert: Alert };
    /** The condition behind an active alert cleared. */
    'alert.resolved': { readonly monitor: string; readonly kind: AlertKind; readonly subject: string };
    /** A monitor acted on its own: it refused a start, or stopped the newest child of a kind. */
    'alert.action_taken': {
      readonly monitor: string;
      readonly subject: string;
      readonly action: 'refused' | 'stopped';
      /** The refused id or key, or the stopped process or lease. */
      readonly target: string;
    };
    /** A sink delivered an alert (`status`: the HTTP status it got). */
    'alert.delivered': { readonly sink: string; readonly alertId: string; readonly attempts: number; readonly status: number };
    /** A sink gave up on an alert: its attempts failed, or (`dropped`) its queue was full. Never carries the URL or a secret. */
    'alert.delivery_failed': {
      readonly sink: string;
      readonly alertId: string;
      readonly attempts: number;
      readonly reason: string;
      readonly dropped: boolean;
    };
  }
}
