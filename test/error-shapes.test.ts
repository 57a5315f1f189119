/**
 * Every error class Warden throws, pinned: its name, code, message, `retryable`, the public fields
 * it carries, its `toJSON()` (the `details()` of each class, key order included) and its cause,
 * snapshotted in test/__snapshots__/error-shapes.test.ts.snap. Errors land in the journal, cross
 * processes and fill event payloads, so any change to that shape is a change someone reviews.
 * Also: `isWardenError(e, code)` narrows to the class (or classes) declaring that code.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  CallTargetExitedError,
  CallTimeoutError,
  FencedError,
  InvalidSpecError,
  MailboxFullError,
  NameNotRegisteredError,
  NameTakenError,
  ProcessExitedError,
  WardenError,
  isWardenError,
  type Pid,
} from '../src/runtime/index.ts';
import { SupervisorStartError } from '../src/supervisor/index.ts';
import { RemoteWardenError, UnserializableMessageError } from '../src/isolation/index.ts';
import {
  BrokenCircuitError,
  BudgetConfigError,
  BudgetExceededError,
  DeadlockDetectedError,
  FallbackExhaustedError,
  HttpStatusError,
  QuarantinedError,
  RateLimitedError,
  ResourceTimeoutError,
  SpawnConflictError,
  TimeoutError,
  UnpricedModelError,
} from '../src/resilience/index.ts';
import {
  InvalidStoreLocationError,
  JournalConflictError,
  SchemaTooNewError,
  StoreCorruptError,
  StoreFullError,
  StoreUnavailableError,
  UnreadableRowError,
} from '../src/store/index.ts';
import {
  MalformedResponseError,
  MissingApiKeyError,
  ModelCallError,
  StreamInterruptedError,
  StreamStalledError,
  StructuredOutputError,
} from '../src/llm/index.ts';
import {
  ApprovalDeniedError,
  DurableStateError,
  JournalFullError,
  NonDeterminismError,
  NotSerializableError,
  RunCancelledError,
  StepFailedError,
  UnknownRunError,
} from '../src/durable/index.ts';
import {
  EntityNotFoundError,
  MemoryDiskFullError,
  MemoryFileError,
  MemoryInputError,
  MemoryLockTimeoutError,
  MemoryUnavailableError,
} from '../src/memory/index.ts';
import { AgentRunError, AgentStoppedError, MaxStepsError, NotApprovedError, OutputInvalidError, ToolLoopError, UnknownToolError } from '../src/agent/index.ts';
import { TestDatabaseError, WaitTimeoutError } from '../src/testing/index.ts';
import { SubagentLimitError } from '../src/alerts/index.ts';
import { ConfigFileError } from '../src/config/index.ts';

const pid = { node: 'local', id: 7, toString: () => '<0.7.0>' } as unknown as Pid;
const cause = new Error('underlying');
const enospc = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
const stored = { name: 'FallbackExhaustedError', code: 'FALLBACK_EXHAUSTED', message: 'every option failed', retryable: true };
const cycle = [{ holder: 'a', waitsFor: 'db', blockedBy: 'b', relation: 'holds' as const }];

/** One instance of every public class (two where a constructor argument changes the shape). */
const ERRORS: Record<string, () => Error> = {
  // runtime
  InvalidSpecError: () => new InvalidSpecError('supervisor spec', 'children[2].shutdown', -1, 'must be an integer >= 0'),
  'InvalidSpecError (term, no path)': () => new InvalidSpecError('child spec', '', undefined, 'is required', 'missing_id'),
  CallTimeoutError: () => new CallTimeoutError(pid, 5_000),
  CallTargetExitedError: () => new CallTargetExitedError('worker', { shutdown: 'timeout' }),
  'CallTargetExitedError (noproc)': () => new CallTargetExitedError(pid, 'noproc'),
  MailboxFullError: () => new MailboxFullError(pid, 16, 'block'),
  ProcessExitedError: () => new ProcessExitedError(pid, 'killed', 'send'),
  NameTakenError: () => new NameTakenError('board', pid),
  NameNotRegisteredError: () => new NameNotRegisteredError('board'),
  FencedError: () => new FencedError('worker-1', 3, 'journal append'),
  // supervisor
  SupervisorStartError: () => new SupervisorStartError({ shutdown: { failed_to_start_child: 'db' } }),
  // isolation
  UnserializableMessageError: () => new UnserializableMessageError('message.reply', 'function'),
  'UnserializableMessageError (cause)': () => new UnserializableMessageError('message', 'symbol', cause),
  RemoteWardenError: () =>
    new RemoteWardenError({
      name: 'BudgetExceededError',
      message: 'over',
      code: 'BUDGET_EXCEEDED',
      retryable: false,
      fields: { scope: 'global', limit: 1, retryable: false },
    }),
  // resilience
  SpawnConflictError: () => new SpawnConflictError('sync', 'memory-sync', true),
  DeadlockDetectedError: () => new DeadlockDetectedError('locks', 'a', 'db', cycle),
  ResourceTimeoutError: () => new ResourceTimeoutError('db', 'a', 250, ['b', 'c']),
  TimeoutError: () => new TimeoutError('llm', 30_000, 'cooperative', { cause }),
  UnpricedModelError: () => new UnpricedModelError('gpt-x'),
  FallbackExhaustedError: () =>
    new FallbackExhaustedError('models', [
      { source: 'primary', error: cause },
      { source: 'backup', error: 'down' },
    ]),
  'FallbackExhaustedError (none)': () => new FallbackExhaustedError('models', []),
  RateLimitedError: () => new RateLimitedError('openai', 'token_bucket', 'would_wait_too_long', 1_234.5),
  'RateLimitedError (over capacity)': () => new RateLimitedError('pool', 'semaphore', 'over_capacity'),
  HttpStatusError: () => new HttpStatusError(503, 'http://127.0.0.1/x', 1_500, true),
  QuarantinedError: () => new QuarantinedError('inputs', '0123456789abcdef', 3, { cause }),
  BudgetExceededError: () => new BudgetExceededError('global/agent:ceo', 'usd', 1, 0.9999999, 0.25),
  BudgetConfigError: () => new BudgetConfigError('global'),
  BrokenCircuitError: () => new BrokenCircuitError('openai', 'open', 1_000.4),
  'BrokenCircuitError (isolated)': () => new BrokenCircuitError('openai', 'isolated', undefined),
  // store
  SchemaTooNewError: () => new SchemaTooNewError('/tmp/w.db', 9, 3),
  StoreCorruptError: () => new StoreCorruptError('/tmp/w.db', 'file is not a database', { cause }),
  StoreUnavailableError: () => new StoreUnavailableError('postgres://u:***@127.0.0.1/db', 'connection refused'),
  StoreFullError: () => new StoreFullError('/tmp/w.db', { cause: enospc }),
  JournalConflictError: () => new JournalConflictError('run-1', 4, 'fetch', 'summarise'),
  UnreadableRowError: () =>
    new UnreadableRowError(
      'warden_journal',
      '(run "run-1", seq 2)',
      'kind',
      'holds "signal", which this version does not know (it knows step, effect, approval)',
    ),
  InvalidStoreLocationError: () => new InvalidStoreLocationError('postgres://u:secret@host/db', '--db', 'is not reachable'),
  // llm
  ModelCallError: () =>
    new ModelCallError(
      {
        code: 'MODEL_RATE_LIMITED',
        retryable: true,
        provider: 'openai',
        model: 'gpt-4o',
        status: 429,
        errorType: 'rate_limit_error',
        retryAfterMs: 1_200,
        requestId: 'req_1',
        detail: 'slow down',
      },
      { cause },
    ),
  'ModelCallError (no response)': () =>
    new ModelCallError({ code: 'MODEL_CONNECTION', retryable: true, provider: 'anthropic', model: 'claude', detail: 'ECONNRESET' }),
  MalformedResponseError: () => new MalformedResponseError('openai', 'gpt-4o', 'truncated JSON', { cause }),
  StreamInterruptedError: () => new StreamInterruptedError('anthropic', 'claude', 12, 345, 'socket hang up'),
  StreamStalledError: () => new StreamStalledError('anthropic', 'claude', 30_000),
  StructuredOutputError: () => new StructuredOutputError('openai', 'gpt-4o', '{"a":', 'not valid JSON'),
  MissingApiKeyError: () => new MissingApiKeyError('openai', 'OPENAI_API_KEY'),
  // durable
  NonDeterminismError: () => new NonDeterminismError('run-1', 2, 'step "fetch"', 'step "summarise"'),
  NotSerializableError: () => new NotSerializableError('run-1', 'step "fetch"', '$.items[2].at', 'is a function'),
  StepFailedError: () =>
    new StepFailedError(
      'run-1',
      'fetch',
      3,
      { name: 'Error', message: 'boom' },
      [
        { at: 1, error: { name: 'Error', message: 'boom' } },
        { at: 2, error: { name: 'Error', message: 'boom' } },
      ] as never,
      { cause },
    ),
  JournalFullError: () => new JournalFullError('run-1', 'the outcome of step "fetch"', 5, enospc),
  ApprovalDeniedError: () => new ApprovalDeniedError('run-1', 'ap-1', 'send email', 'alice', 'not today'),
  RunCancelledError: () => new RunCancelledError('run-1', 'by the operator'),
  UnknownRunError: () => new UnknownRunError('mailer', ['planner']),
  DurableStateError: () => new DurableStateError('run run-1', 'is not suspended'),
  // memory
  EntityNotFoundError: () => new EntityNotFoundError('Alice'),
  MemoryInputError: () => new MemoryInputError('create_entities', 'entities[0].name', 'must be a string', 42),
  MemoryLockTimeoutError: () => new MemoryLockTimeoutError('/tmp/m.jsonl.lock', 'pid 12', 2_000),
  MemoryFileError: () => new MemoryFileError('/tmp/m.jsonl', 'append', Object.assign(new Error('denied'), { code: 'EACCES' })),
  MemoryDiskFullError: () => new MemoryDiskFullError('/tmp/m.jsonl', 'sync the file', enospc),
  MemoryUnavailableError: () => new MemoryUnavailableError('restarting', { cause }),
  // agent
  UnknownToolError: () => new UnknownToolError('ceo', 'run-1', 2, 'serach', ['search', 'write']),
  ToolLoopError: () => new ToolLoopError('ceo', 'run-1', 5, 'search', '{"q":"otp"}', 3, 3),
  MaxStepsError: () => new MaxStepsError('ceo', 'run-1', 10),
  OutputInvalidError: () => new OutputInvalidError('ceo', 'run-1', 4, 3, 'answer: Required', 'x'.repeat(600)),
  AgentStoppedError: () => new AgentStoppedError('ceo', 'run-1', { watchdog: 'no progress' }),
  AgentRunError: () => new AgentRunError('ceo', 'run-1', stored as never),
  'AgentRunError (no code)': () => new AgentRunError('ceo', 'run-1', { name: 'Error', message: 'plain' } as never),
  NotApprovedError: () => new NotApprovedError('run-1', 'send email', 'no approve hook'),
  // testing
  WaitTimeoutError: () => new WaitTimeoutError('the run completes', 10_000, cause),
  TestDatabaseError: () => new TestDatabaseError('postgres://u:secret@db/test', 'is not set, and CI is'),
  SubagentLimitError: () => new SubagentLimitError('subagents', 'memory-sync', 'memory-sync:7', 'max', 1, 1),
  'SubagentLimitError (maxStarts)': () => new SubagentLimitError('subagents', 'memory-sync', 'memory-sync', 'maxStarts', 3, 3),
  ConfigFileError: () => new ConfigFileError('/etc/warden.json', 'is not JSON (Unexpected end of JSON input)', cause),
};

/** What a user, the journal or another process can see of an error. */
function shape(e: Error): unknown {
  const own = Object.keys(e).sort();
  return {
    class: e.constructor.name,
    name: e.name,
    message: e.message,
    fields: Object.fromEntries(own.map((k) => [k, (e as unknown as Record<string, unknown>)[k]])),
    json: JSON.stringify(e),
    jsonKeys: Object.keys((e as WardenError).toJSON()),
    cause: 'cause' in e ? String(e.cause) : '(none)',
  };
}

describe('error shapes', () => {
  it.each(Object.keys(ERRORS))('keeps the name, code, message, fields and JSON of %s', (label) => {
    const e = ERRORS[label]!();
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(WardenError);
    expect(isWardenError(e, (e as WardenError).code)).toBe(true);
    expect(shape(e)).toMatchSnapshot();
  });

  it('narrows isWardenError(e, code) to the class declaring the code, and an unknown code to any Warden error', () => {
    const e: unknown = new FencedError('worker-1', 3, 'journal append');
    if (!isWardenError(e, 'FENCED')) throw new Error('not recognised');
    expectTypeOf(e).toEqualTypeOf<FencedError>();
    expect(e.generation).toBe(3);
    const other: unknown = e;
    if (isWardenError(other, 'NOT_A_CODE_ANYONE_DECLARED')) expectTypeOf(other).toEqualTypeOf<WardenError>();
    if (isWardenError(other)) expectTypeOf(other.code).toEqualTypeOf<string>();
    expect(isWardenError(e, 'CALL_TIMEOUT')).toBe(false);
  });

  it('narrows a code two classes share to both, and a code of a many-coded class to that code', () => {
    const denied: unknown = new NotApprovedError('run-1', 'send email', 'no approve hook');
    if (!isWardenError(denied, 'APPROVAL_DENIED')) throw new Error('not recognised');
    expectTypeOf(denied).toEqualTypeOf<ApprovalDeniedError | NotApprovedError>();
    expect(denied.action).toBe('send email');
    const limited: unknown = ERRORS.ModelCallError!();
    if (!isWardenError(limited, 'MODEL_RATE_LIMITED')) throw new Error('not recognised');
    expectTypeOf(limited.code).toEqualTypeOf<'MODEL_RATE_LIMITED'>();
    expect(limited.retryAfterMs).toBe(1_200);
  });

  it('covers every class once', () => {
    const classes = new Set(Object.values(ERRORS).map((make) => make().constructor.name));
    expect(classes.size).toBe(61);
  });
});
