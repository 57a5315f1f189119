/**
 * A durable host's options: what it runs, on which store, under which owner name, and its
 * tunables with their defaults (`DURABLE_HOST_DEFAULTS`). Checked with zod when the host is
 * built; a bad field is an `InvalidSpecError` naming it and the value, and nothing is started.
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import { UNFENCED, realClock, type Clock, type EventBus, type Fence } from '../runtime/index.ts';
import { parseWith } from '../resilience/index.ts';
import type { Store } from '../store/index.ts';
import type { ApprovalPolicy } from './approval-policy.ts';
import type { RunDefinition } from './definition.ts';
import type { RetentionPolicy } from './retention.ts';

export interface DurableHostTunables {
  /** How long a claim lasts without renewal, ms. @default 30_000 */
  readonly leaseMs: number;
  /** How often `serve()` polls the store, ms. @default 1_000 */
  readonly pollMs: number;
  /** Put failed runs in the dead-letter queue. @default true */
  readonly deadLetterOnFailure: boolean;
}

export const DURABLE_HOST_DEFAULTS: DurableHostTunables = Object.freeze({ leaseMs: 30_000, pollMs: 1_000, deadLetterOnFailure: true });

export interface DurableHostOptions extends Partial<DurableHostTunables> {
  readonly store: Store;
  /** The run definitions this host can execute. */
  // biome-ignore lint/suspicious/noExplicitAny: definitions of any input and output (a run function takes its input, so `RunDefinition<unknown>` would accept none)
  readonly runs?: readonly RunDefinition<any, any>[];
  /**
   * This host's name in the store. A restart under the same name takes its runs back at once; so
   * does any host on the same machine once the process that held them is gone. @default `${hostname}:${pid}`
   */
  readonly owner?: string;
  readonly clock?: Clock;
  readonly bus?: EventBus;
  /** Checked before every write; a process passes `ctx.fence`. @default UNFENCED */
  readonly fence?: Fence;
  /** Policies deciding which actions need approval (irreversible actions always do). @default [] */
  readonly approvalPolicies?: readonly ApprovalPolicy[];
  /** Compact finished runs (on `compact()` and on every `serve()` poll). @default none */
  readonly retention?: RetentionPolicy;
}

/** The options with every default applied. */
export interface HostSettings {
  readonly store: Store;
  readonly owner: string;
  readonly clock: Clock;
  readonly bus: EventBus | undefined;
  readonly fence: Fence;
  readonly policies: readonly ApprovalPolicy[];
  readonly retention: RetentionPolicy | undefined;
  readonly config: Readonly<DurableHostTunables>;
}

const optionsSchema = z.strictObject({
  store: z.custom<Store>((v) => typeof v === 'object' && v !== null && typeof (v as Store).appendJournal === 'function', {
    message: 'must be a Store (openStore())',
  }),
  runs: z
    .array(
      z.custom<RunDefinition>((v) => typeof v === 'object' && v !== null && typeof (v as RunDefinition).fn === 'function', {
        message: 'must be a defineRun(...) result',
      }),
    )
    .optional(),
  owner: z.string().min(1).optional(),
  clock: z.custom<Clock>((v) => typeof v === 'object' && v !== null && typeof (v as Clock).now === 'function', { message: 'must be a Clock' }).optional(),
  bus: z
    .custom<EventBus>((v) => typeof v === 'object' && v !== null && typeof (v as EventBus).emit === 'function', { message: 'must be an EventBus' })
    .optional(),
  fence: z.custom<Fence>((v) => typeof v === 'object' && v !== null && typeof (v as Fence).check === 'function', { message: 'must be a Fence' }).optional(),
  approvalPolicies: z.array(z.custom<ApprovalPolicy>((v) => typeof v === 'function', { message: 'must be a function' })).optional(),
  retention: z
    .strictObject({
      keepFinishedMs: z.number().min(0),
      statuses: z.array(z.enum(['running', 'suspended', 'completed', 'failed', 'cancelled'])).optional(),
      mode: z.enum(['archive', 'delete']).optional(),
    })
    .optional(),
  leaseMs: z.number().int().min(1).optional(),
  pollMs: z.number().int().min(1).optional(),
  deadLetterOnFailure: z.boolean().optional(),
});

/** Check `options` (throws `InvalidSpecError` naming the field) and apply the defaults. */
export function resolveHostOptions(options: DurableHostOptions): HostSettings {
  const o = parseWith('durable host', optionsSchema, options);
  return {
    store: options.store,
    owner: o.owner ?? `${hostname()}:${process.pid}`,
    clock: options.clock ?? realClock,
    bus: options.bus,
    fence: options.fence ?? UNFENCED,
    policies: options.approvalPolicies ?? [],
    retention: options.retention,
    config: Object.freeze({
      leaseMs: o.leaseMs ?? DURABLE_HOST_DEFAULTS.leaseMs,
      pollMs: o.pollMs ?? DURABLE_HOST_DEFAULTS.pollMs,
      deadLetterOnFailure: o.deadLetterOnFailure ?? DURABLE_HOST_DEFAULTS.deadLetterOnFailure,
    }),
  };
}
