/**
 * Durable runs (`warden/durable`): a run is a function of steps whose results are journaled, so
 * after a crash or `kill -9` it resumes where it was and completed steps (LLM calls included)
 * are replayed from the journal, not repeated.
 *
 * <!-- docs-test: prelude digest -->
 * ```ts
 * import { openStore } from 'warden/store';
 * import { DurableHost, defineRun } from 'warden/durable';
 *
 * const digest = defineRun('daily-digest', async (run, input: { to: string }) => {
 *   const news = await run.step('fetch-news', () => fetchNews());              // journaled
 *   const text = await run.step('summarise', () => llm.summarise(news));       // journaled
 *   await run.effect('send-mail', ({ idempotencyKey }) => mail.send(input.to, text, { idempotencyKey }), {
 *     reconcile: async ({ idempotencyKey }) => ({ done: await mail.wasSent(idempotencyKey) }),
 *   });
 *   return text;
 * });
 *
 * const host = new DurableHost({ store: await openStore(), runs: [digest], owner: 'worker-1' });
 * await host.recover();                    // resume what a crash left behind
 * host.serve();                            // and pick up approvals, CLI requests, replays
 * const { result } = await host.start(digest, { to: 'me@example.com' });
 * console.log(await result);               // { status: 'completed', output: ... }
 * ```
 *
 * Also here: effects recorded intent → done with idempotency keys and reconciliation (F15),
 * fencing by owner epoch, the dead-letter queue (F16), a store-backed quarantine store (F11),
 * approval gates with an audit trail (F17), a store-backed spawn-guard key store (F12), and
 * `publishHostSnapshots`: a host's supervision trees, breakers, budgets and health published to
 * the store on its clock, for the dashboard and other nodes (`readHostSnapshots`).
 */
import './events.ts';

export { defineRun } from './definition.ts';
export type { RunDefinition, RunFunction } from './definition.ts';
export { DurableHost } from './host.ts';
export { DURABLE_HOST_DEFAULTS } from './host-options.ts';
export type { DurableHostOptions, DurableHostTunables } from './host-options.ts';
export { outcomeOfRecord } from './run-outcome.ts';
export type { RunHandle, RunOutcome } from './run-outcome.ts';
export type { RetentionPolicy } from './retention.ts';
export { RunContext } from './run-context.ts';
export type { RunNote } from './run-context.ts';
export type { StepContext, EffectContext, StepOptions, EffectOptions, ReconcileResult } from './step-options.ts';
export { requireApproval, approvalReason } from './approval-policy.ts';
export type { ApprovalPolicy, ActionDescriptor } from './approval-policy.ts';
export { Approvals } from './approvals.ts';
export type { DecisionInput } from './approvals.ts';
export { DeadLetterQueue } from './dead-letters.ts';
export type { DeadLetterInput } from './dead-letters.ts';
export { StoreQuarantineStore, StoreSpawnKeyStore } from './store-adapters.ts';
export { publishHostSnapshots, HOST_SNAPSHOT_DEFAULTS } from './host-snapshot-publisher.ts';
export type { HostSnapshotOptions, HostSnapshotPublisher } from './host-snapshot-publisher.ts';
export { readHostSnapshots, readHostSamples, lastHostPublish } from './host-snapshot-reader.ts';
export type { HostSnapshotView, HostSample } from './host-snapshot-reader.ts';
export type { HostSnapshot, SnapshotSources, SnapshotNode, SnapshotTree, SnapshotRestart, SnapshotBreaker, SnapshotBudget } from './host-snapshot.ts';
export { toJournalJson } from './json.ts';
export { toStoredError } from './stored-error.ts';
export { currentProcess, processIdentity, processState } from './process-identity.ts';
export type { ProcessState } from './process-identity.ts';
export {
  NonDeterminismError,
  NotSerializableError,
  StepFailedError,
  JournalFullError,
  ApprovalDeniedError,
  RunCancelledError,
  UnknownRunError,
  DurableStateError,
} from './errors.ts';
