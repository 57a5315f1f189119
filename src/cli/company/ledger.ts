/**
 * The company's outside world, and the evidence the report counts: every side effect a scheduled
 * job has (the daily post going out, the memory sync, the weekly report filed, the month's
 * accounts filed) is one line appended to a JSONL file by the tool that does it, with the job, the
 * slot and the idempotency key. Nothing else writes this file: not the scheduler, not the
 * journal. So "ran once" and "doubled" are counted from what happened outside, the way an
 * auditor would count posts on the social network, not from anyone's bookkeeping.
 *
 * `wasDone(key)` is what an effect's `reconcile` asks after a crash left its outcome unknown:
 * did the post with this key go out?
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';

export interface LedgerLine {
  readonly job: string;
  /** The slot's time, ISO 8601. */
  readonly slot: string;
  readonly key: string;
  readonly by: string;
}

export class Ledger {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /** Record one side effect (synchronously: a crash after this line has it on disk). */
  record(line: LedgerLine): void {
    appendFileSync(this.path, `${JSON.stringify(line)}\n`);
  }

  lines(): LedgerLine[] {
    if (!existsSync(this.path)) return [];
    return readFileSync(this.path, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as LedgerLine);
  }

  wasDone(key: string): boolean {
    return this.lines().some((l) => l.key === key);
  }

  /** How many times each `job@slot` happened. */
  counts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const l of this.lines()) {
      const id = slotId(l.job, l.slot);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }
}

export function slotId(job: string, slot: string): string {
  return `${job}@${slot}`;
}
