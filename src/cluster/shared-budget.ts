/**
 * Budgets whose spend is counted by every node: the `BudgetLedger` a node gives its budgets
 * (`cluster.budget(options)` wires it in). A scope's row in `warden_cluster_budgets` holds its
 * committed spend and the estimates reserved by calls in flight on any node.
 *
 * - Reserving is one statement: an `UPDATE` of the scope's row that adds the estimate only if,
 *   for every capped unit, the spend plus the reservations is below the cap and stays within it
 *   with this estimate (the rule a per-process `Budget` applies), chained to the `INSERT` of the
 *   call's reservation row. Postgres' row lock orders concurrent reservations, so the check and
 *   the addition are one step for the whole cluster.
 * - Settling deletes the reservation row, takes its estimate off the reserved total and adds
 *   what was spent, in one statement. A reservation a dead node held is freed when it is
 *   declared dead (membership.ts); its late settle then only adds the spend.
 * - So the spend passes a cap only by what calls in flight spend beyond their estimates: never,
 *   when estimates are upper bounds. The wall-time cap stays per process.
 */
import { randomUUID } from 'node:crypto';
import type { BudgetLedger, BudgetLimits, BudgetUnit, LedgerAmounts, LedgerRefusal, LedgerReservation } from '../resilience/index.ts';
import type { Clock } from '../runtime/index.ts';
import type { SqlAccess } from '../store/internal.ts';

const UNITS = [
  ['usd', 'usd'],
  ['tokens', 'tokens'],
  ['steps', 'steps'],
] as const;

const NUM = 'CAST(? AS DOUBLE PRECISION)';

/** A scope's shared totals. */
export interface SharedSpend {
  readonly scope: string;
  readonly spent: LedgerAmounts;
  readonly reserved: LedgerAmounts;
}

interface BudgetRow {
  scope: string;
  spent_usd: number;
  spent_tokens: number;
  spent_steps: number;
  reserved_usd: number;
  reserved_tokens: number;
  reserved_steps: number;
}

const RESERVE = `WITH r AS (
  UPDATE warden_cluster_budgets
     SET reserved_usd = reserved_usd + ${NUM}, reserved_tokens = reserved_tokens + ${NUM}, reserved_steps = reserved_steps + ${NUM}, updated_at = ?
   WHERE scope = ?
     ${UNITS.map(([u]) => `AND (${NUM} IS NULL OR (spent_${u} + reserved_${u} < ${NUM} AND spent_${u} + reserved_${u} + ${NUM} <= ${NUM}))`).join('\n     ')}
  RETURNING scope)
INSERT INTO warden_cluster_budget_reservations (id, scope, node, usd, tokens, steps, reserved_at)
SELECT ?, scope, ?, ${NUM}, ${NUM}, ${NUM}, ? FROM r RETURNING id`;

const SETTLE = `WITH d AS (DELETE FROM warden_cluster_budget_reservations WHERE id = ? RETURNING usd, tokens, steps)
UPDATE warden_cluster_budgets
   SET reserved_usd = reserved_usd - COALESCE((SELECT usd FROM d), 0),
       reserved_tokens = reserved_tokens - COALESCE((SELECT tokens FROM d), 0),
       reserved_steps = reserved_steps - COALESCE((SELECT steps FROM d), 0),
       spent_usd = spent_usd + ${NUM}, spent_tokens = spent_tokens + ${NUM}, spent_steps = spent_steps + ${NUM}, updated_at = ?
 WHERE scope = ?`;

export class SharedBudgets implements BudgetLedger {
  private readonly sql: SqlAccess;
  private readonly clock: Clock;
  private readonly node: string;
  /** Scopes whose row this node knows exists. */
  private readonly known = new Set<string>();

  constructor(sql: SqlAccess, clock: Clock, node: string) {
    this.sql = sql;
    this.clock = clock;
    this.node = node;
  }

  async reserve(scope: string, e: LedgerAmounts, limits: BudgetLimits): Promise<LedgerReservation | LedgerRefusal> {
    const now = Math.floor(this.clock.now());
    if (!this.known.has(scope)) {
      await this.sql.read('INSERT INTO warden_cluster_budgets (scope, updated_at) VALUES (?, ?) ON CONFLICT (scope) DO NOTHING', [scope, now]);
      this.known.add(scope);
    }
    const id = randomUUID();
    const checks = UNITS.flatMap(([u]) => {
      const limit = limits[u] === undefined || limits[u] === Number.POSITIVE_INFINITY ? null : limits[u];
      return [limit, limit, e[u], limit];
    });
    const rows = await this.sql.read(RESERVE, [e.usd, e.tokens, e.steps, now, scope, ...checks, id, this.node, e.usd, e.tokens, e.steps, now]);
    if (rows.length === 1) {
      return { settle: (actual) => this.settle(id, scope, actual) };
    }
    return this.refusal(scope, e, limits);
  }

  /** The shared totals of `scope` (zeros if nothing was reserved there yet). */
  async spending(scope: string): Promise<SharedSpend> {
    const rows = await this.sql.read<BudgetRow>('SELECT * FROM warden_cluster_budgets WHERE scope = ?', [scope]);
    return totalsOf(scope, rows[0]);
  }

  private async settle(id: string, scope: string, actual: LedgerAmounts | undefined): Promise<void> {
    const a = actual ?? { usd: 0, tokens: 0, steps: 0 };
    await this.sql.read(SETTLE, [id, a.usd, a.tokens, a.steps, Math.floor(this.clock.now()), scope]);
  }

  /** Which cap refused the reservation, as the scope's row reads now. */
  private async refusal(scope: string, e: LedgerAmounts, limits: BudgetLimits): Promise<LedgerRefusal> {
    const t = await this.spending(scope);
    for (const [u, unit] of UNITS) {
      const limit = limits[u];
      if (limit === undefined) continue;
      const held = t.spent[u] + t.reserved[u];
      if (held >= limit || held + e[u] > limit) return { refused: { unit: unit as BudgetUnit, limit, spent: t.spent[u], requested: t.reserved[u] + e[u] } };
    }
    // The calls that held the budget settled in between: report the tightest cap as it stood.
    const [u, unit] = UNITS.find(([k]) => limits[k] !== undefined) ?? UNITS[0];
    return { refused: { unit: unit as BudgetUnit, limit: limits[u] ?? 0, spent: t.spent[u], requested: t.reserved[u] + e[u] } };
  }
}

function totalsOf(scope: string, r: BudgetRow | undefined): SharedSpend {
  const n = (v: unknown) => (v === undefined ? 0 : Number(v));
  return {
    scope,
    spent: { usd: n(r?.spent_usd), tokens: n(r?.spent_tokens), steps: n(r?.spent_steps) },
    reserved: { usd: n(r?.reserved_usd), tokens: n(r?.reserved_tokens), steps: n(r?.reserved_steps) },
  };
}
