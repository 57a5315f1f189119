/**
 * Delivery: how a message reaches a process. `deliver` hands it straight to the pending
 * receive if that wants it, else queues it in the mailbox (a remote process's message goes to
 * its endpoint instead) and gives an idle server a turn. System messages (EXIT, DOWN) always go
 * in; user messages obey the mailbox's capacity and overflow policy (mailbox.ts).
 *
 * Sending to a dead process is a silent no-op; sending to an unregistered name throws.
 */
import { InvalidSpecError, MailboxFullError, NameNotRegisteredError } from './errors.ts';
import { RUNNING, ProcessRecord, type Core } from './core.ts';
import { Mailbox } from './mailbox.ts';
import { SystemMessage } from './messages.ts';
import type { Dest } from './options.ts';
import { isPid } from './pid.ts';
import { lookupName } from './registry.ts';

/**
 * The live record `to` names, or `undefined` if it names a dead process (or, with
 * `throwOnUnknownName` false, an unregistered name). Throws for anything that is not a pid
 * or a name.
 */
export function resolveDest(core: Core, to: Dest, throwOnUnknownName: boolean): ProcessRecord | undefined {
  if (typeof to === 'string') {
    const proc = lookupName(core, to);
    if (proc === undefined && throwOnUnknownName) throw new NameNotRegisteredError(to);
    return proc;
  }
  const proc = core.recordOf(to);
  if (proc === undefined && !isPid(to)) throw new InvalidSpecError('send', 'to', to, 'must be a pid or a registered name');
  return proc !== undefined && proc.status === RUNNING ? proc : undefined;
}

/** `send`: to a pid or registered name; `undefined` is not a message. */
export function sendMessage(core: Core, to: Dest, message: unknown): void {
  if (message === undefined) throw new InvalidSpecError('send', 'message', message, 'must not be undefined');
  // Fast path: a pid of this runtime (the common case) needs no lookup.
  const target = to instanceof ProcessRecord && to.core === core ? to : resolveDest(core, to, true);
  if (target !== undefined) deliver(core, target, message);
}

/**
 * Put a message in a live process's mailbox, or hand it straight to a pending receive.
 * Throws `MailboxFullError` for a user message the mailbox has no room for.
 */
export function deliver(core: Core, target: ProcessRecord, message: unknown): void {
  if (target.status !== RUNNING) return;
  const remote = target.extras?.remote;
  if (remote !== undefined) {
    remote.forward(target, message);
    return;
  }
  const resume = target.waitResolve;
  if (resume !== null) {
    const match = target.extras?.waitMatch;
    let matches: boolean;
    try {
      matches = match === undefined || match(message);
    } catch (error) {
      // A throwing matcher is the receiver's bug: it fails the receiver's pending receive.
      target.endWait();
      enqueue(core, target, message);
      resume(Promise.reject(error));
      return;
    }
    if (matches) {
      target.endWait();
      resume(message);
      return;
    }
  }
  enqueue(core, target, message);
  if (target.handler !== null && !target.busy) core.schedule(target);
}

function enqueue(core: Core, target: ProcessRecord, message: unknown): void {
  const mb = (target.mailbox ??= new Mailbox());
  if (!(message instanceof SystemMessage) && mb.userCount >= target.mailboxOptions.capacity) {
    const { capacity, overflow } = target.mailboxOptions;
    if (overflow !== 'drop_oldest' || !mb.dropOldestUser()) {
      throw new MailboxFullError(target, capacity, overflow);
    }
    if (core.events.wants('process.message_dropped')) {
      core.events.emit({ type: 'process.message_dropped', pid: target, capacity });
    }
  }
  mb.push(message);
}
