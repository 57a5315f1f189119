/**
 * Warden's runtime: lightweight processes with Erlang's semantics (exit reasons, links, exit
 * trapping, monitors, bounded mailboxes, selective receive, call/cast, a named registry and
 * pub/sub topics), the injected clock, and the one typed event stream.
 *
 * ```ts
 * import { Runtime, isCall } from 'warden/runtime';
 *
 * const rt = new Runtime();
 * const echo = rt.spawn(async (ctx) => {
 *   for (;;) {
 *     const m = await ctx.receive();
 *     if (isCall(m)) ctx.reply(m.from, m.request);
 *   }
 * });
 * await rt.call(echo, 'hello'); // 'hello'
 * ```
 */
// First, so that an unsupported Node.js is named before anything else loads.
export { MINIMUM_NODE_VERSION } from './node-version.ts';
export { Runtime } from './runtime.ts';
export { HANDLER_BUDGET } from './scheduler.ts';
export { DEFAULT_CALL_TIMEOUT_MS } from './calls.ts';
export type { ProcessContext, ProcessBody } from './runtime.ts';
export type { ProcessInfo } from './inspect.ts';
export type { RuntimeOptions, Dest, SpawnOptions, ReceiveOptions, CallOptions, SendWaitOptions } from './options.ts';
export { isPid } from './pid.ts';
export type { Pid } from './pid.ts';
export { RealClock, realClock, sleepOn } from './clock.ts';
export type { Clock, Timer } from './clock.ts';
export { VirtualClock, settle } from './virtual-clock.ts';
export type { QuiescenceSource } from './virtual-clock.ts';
export { EventBus, disposable } from './events.ts';
export type {
  WardenEventMap,
  WardenEvent,
  WardenEventType,
  WardenEventInput,
  Listener,
  Disposable,
} from './events.ts';
export {
  WardenError,
  isWardenError,
  InvalidSpecError,
  CallTimeoutError,
  CallTargetExitedError,
  MailboxFullError,
  ProcessExitedError,
  NameTakenError,
  NameNotRegisteredError,
} from './errors.ts';
export type { WardenErrorJSON, WardenErrorOptions, WardenErrorMap, WardenErrorCode, WardenErrorOf } from './errors.ts';
export {
  Crash,
  isNormalExit,
  isShutdownTuple,
  sameReason,
  reasonToJSON,
  formatReason,
  showValue,
} from './terms.ts';
export type { Term, ExitReason } from './terms.ts';
export {
  SystemMessage,
  ExitMessage,
  DownMessage,
  CallRequest,
  CastMessage,
  StopRequest,
  SoftStopRequest,
  isSoftStopRequest,
  isExit,
  isDown,
  isCall,
  isCast,
  isStopRequest,
} from './messages.ts';
export type { CallFrom } from './messages.ts';
export { MAILBOX_DEFAULTS } from './mailbox.ts';
export type { MailboxOptions, OverflowPolicy } from './mailbox.ts';
export { startLink, IGNORE } from './start-link.ts';
export type { StartResult, StartLinkOptions, Starter, Ignore } from './start-link.ts';
export { startServer, stopServer, reply, noreply, stop, Reply, NoReply, Stop } from './server.ts';
export type { ServerBehaviour, StartServerOptions } from './server.ts';
export { seededRandom, systemRandom } from './random.ts';
export type { Random } from './random.ts';
export { FencedError, UNFENCED } from './fence.ts';
export type { Fence } from './fence.ts';
