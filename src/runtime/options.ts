/**
 * The options `Runtime` and `ProcessContext` (runtime.ts) take: the runtime's own, and those
 * of spawn, receive, call and sendWait; and where a message goes (`Dest`).
 */
import type { Clock } from './clock.ts';
import type { MailboxOptions } from './mailbox.ts';
import type { Pid } from './pid.ts';

export interface RuntimeOptions {
  /** The clock every timer and timestamp uses. @default the real clock */
  readonly clock?: Clock;
  /** This runtime's node name, printed in pids. @default '0' */
  readonly node?: string;
  /** Default mailbox options for processes spawned without their own. @default MAILBOX_DEFAULTS */
  readonly mailbox?: Partial<MailboxOptions>;
}

/** Where to send: a pid or a registered name. */
export type Dest = Pid | string;

export interface SpawnOptions {
  /** Register the new process under this name (released when it exits). */
  readonly name?: string;
  /** Start with exits trapped: exit signals arrive as `ExitMessage`s instead of killing it. @default false */
  readonly trapExits?: boolean;
  /** Mailbox capacity and overflow policy. @default MAILBOX_DEFAULTS */
  readonly mailbox?: Partial<MailboxOptions>;
  /** A descriptive label carried by the process's events (e.g. a child id). */
  readonly label?: string;
}

export interface ReceiveOptions {
  /** Give up after this long and resolve `undefined`. @default Infinity (wait forever) */
  readonly timeoutMs?: number;
}

export interface CallOptions {
  /** Fail with `CallTimeoutError` after this long. @default 5000 */
  readonly timeoutMs?: number;
}

export interface SendWaitOptions {
  /** Fail with `MailboxFullError` if there is still no room after this long. @default 5000 */
  readonly timeoutMs?: number;
}
