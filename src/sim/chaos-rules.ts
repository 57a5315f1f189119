/**
 * The chaos proxy's rules and the pure decision of which fault each request gets.
 *
 * Rules are checked in order for every request; each rule counts the requests it matches
 * (`method`, `path`, `body`: substrings or `{ regex }`). A matching rule fires on its
 * `after + every`-th, `after + 2·every`-th, ... match, at most `times` times, and then with
 * `probability` (drawn from the seeded generator, one draw per eligible rule with a probability
 * below 1). The first rule that fires decides the request's fault; later rules still count the
 * match. So the decisions are a pure function of the rules, the seed and the sequence of
 * requests: the same seed reproduces the same faults on the same request sequence. (The random
 * source is the runtime's seeded SplitMix32; the rule logic is this file's own.)
 */
import { z } from 'zod';
import { InvalidSpecError, seededRandom, type Random } from '../runtime/index.ts';
import { parseWith } from '../resilience/index.ts';
import { stringMatcher } from './script.ts';

const matcher = stringMatcher(/^[imsu]*$/);

export const faultSchema = z.discriminatedUnion('kind', [
  /** 429 with Retry-After (seconds) in the provider's error shape. */
  z.strictObject({ kind: z.literal('rate_limit'), retryAfterSeconds: z.number().min(0).finite().optional() }),
  /** 529 `overloaded_error` (Anthropic's shape). */
  z.strictObject({ kind: z.literal('overloaded'), retryAfterSeconds: z.number().min(0).finite().optional() }),
  /** Any error status (500, 502, 503, ...) in the provider's error shape, or `body` as given. */
  z.strictObject({ kind: z.literal('status'), status: z.number().int().min(400).max(599), body: z.string().optional() }),
  /** Wait `ms`, then forward normally. */
  z.strictObject({ kind: z.literal('latency'), ms: z.number().min(0).finite() }),
  /** Never answer (until the client gives up, or `maxHangMs` passes and the connection is dropped). */
  z.strictObject({ kind: z.literal('hang') }),
  /** Reset the connection (TCP RST) without answering. */
  z.strictObject({ kind: z.literal('reset') }),
  /** Forward the status and headers and the first `bytes` of the body (default half), then drop the connection. */
  z.strictObject({ kind: z.literal('truncate'), bytes: z.number().int().min(0).optional() }),
  /** Answer 200 with a body that is not valid JSON (for a stream: one good event, then a broken one). */
  z.strictObject({ kind: z.literal('malformed') }),
  /** Forward a stream's first `afterEvents` SSE events, then break the connection mid-body (`reset`) or end the body cleanly (`close`). */
  z.strictObject({ kind: z.literal('cut_stream'), afterEvents: z.number().int().min(0), mode: z.enum(['reset', 'close']).optional() }),
]);

export const ruleSchema = z.strictObject({
  name: z.string().min(1).optional(),
  match: z.strictObject({ method: z.string().min(1).optional(), path: matcher.optional(), body: matcher.optional() }).optional(),
  every: z.number().int().min(1).optional(),
  after: z.number().int().min(0).optional(),
  probability: z.number().min(0).max(1).optional(),
  times: z.number().int().min(1).optional(),
  fault: faultSchema,
});

export const rulesSchema = z.array(ruleSchema);

export type ChaosFault = z.infer<typeof faultSchema>;
export type ChaosFaultKind = ChaosFault['kind'];
export type ChaosRule = z.infer<typeof ruleSchema>;

/**
 * Validate rules (an array, or `{ rules: [...] }` as in a rules file). Throws `InvalidSpecError`
 * naming the field: `rules[1].fault.kind`.
 */
export function parseRules(input: unknown): ChaosRule[] {
  const list = typeof input === 'object' && input !== null && !Array.isArray(input) && 'rules' in input ? (input as { rules: unknown }).rules : input;
  const wrapped = parseWith('chaos rules', z.strictObject({ rules: rulesSchema }), { rules: list });
  wrapped.rules.forEach((r, i) => {
    for (const f of ['path', 'body'] as const) {
      const m = r.match?.[f];
      if (typeof m === 'object') {
        try {
          new RegExp(m.regex, m.flags);
        } catch (e) {
          throw new InvalidSpecError('chaos rules', `rules[${i}].match.${f}.regex`, m.regex, `is not a valid regular expression (${(e as Error).message})`);
        }
      }
    }
  });
  return wrapped.rules;
}

/** What the proxy decided for one request. */
export interface ChaosDecision {
  /** 1-based request number. */
  readonly seq: number;
  readonly method: string;
  readonly path: string;
  /** The fault injected, or `undefined` when the request was passed through untouched. */
  readonly fault: ChaosFault | undefined;
  /** The rule that fired (`name` or `rules[i]`). */
  readonly rule: string | undefined;
}

type Test = (s: string) => boolean;

function test(m: z.infer<typeof matcher> | undefined): Test | undefined {
  if (m === undefined) return undefined;
  if (typeof m === 'string') return (s) => s.includes(m);
  const re = new RegExp(m.regex, m.flags);
  return (s) => re.test(s);
}

/** The decision engine: pure given the rules, the seed and the request sequence. */
export class ChaosPlanner {
  private readonly rules: readonly {
    readonly label: string;
    readonly rule: ChaosRule;
    readonly method: string | undefined;
    readonly path: Test | undefined;
    readonly body: Test | undefined;
  }[];
  private readonly matched: number[];
  private readonly injected: number[];
  private random: Random;
  private seq = 0;
  readonly seed: number;

  constructor(rules: readonly ChaosRule[], seed: number) {
    const valid = parseRules(rules);
    if (!Number.isInteger(seed)) throw new InvalidSpecError('chaos proxy', 'seed', seed, 'must be an integer');
    this.seed = seed;
    this.rules = valid.map((rule, i) => ({
      label: rule.name ?? `rules[${i}]`,
      rule,
      method: rule.match?.method?.toUpperCase(),
      path: test(rule.match?.path),
      body: test(rule.match?.body),
    }));
    this.matched = valid.map(() => 0);
    this.injected = valid.map(() => 0);
    this.random = seededRandom(seed);
  }

  /** Start over: counters and the random sequence as at construction. */
  reset(): void {
    this.matched.fill(0);
    this.injected.fill(0);
    this.random = seededRandom(this.seed);
    this.seq = 0;
  }

  decide(method: string, path: string, body: string): ChaosDecision {
    const seq = ++this.seq;
    let chosen: { fault: ChaosFault; rule: string } | undefined;
    for (let i = 0; i < this.rules.length; i++) {
      const r = this.rules[i] as (typeof this.rules)[number];
      if (r.method !== undefined && r.method !== method.toUpperCase()) continue;
      if (r.path !== undefined && !r.path(path)) continue;
      if (r.body !== undefined && !r.body(body)) continue;
      const n = ++this.matched[i]!;
      const after = r.rule.after ?? 0;
      const every = r.rule.every ?? 1;
      if (n <= after || (n - after) % every !== 0) continue;
      if ((this.injected[i] as number) >= (r.rule.times ?? Infinity)) continue;
      const p = r.rule.probability ?? 1;
      if (p < 1 && !(this.random() < p)) continue;
      if (chosen !== undefined) continue;
      this.injected[i]!++;
      chosen = { fault: r.rule.fault, rule: r.label };
    }
    return { seq, method, path, fault: chosen?.fault, rule: chosen?.rule };
  }
}
