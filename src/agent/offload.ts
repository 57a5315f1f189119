/**
 * Reading back what compaction took out of an agent's context. A durable run's compaction step
 * (`compact#n`) journals every tool result it cleared or summarised away, with the ref its stub
 * names (`c1.2`), so the content stays in the store: `readOffloaded(store, runId)` lists it, for a
 * person, a dashboard or another agent (the run's own model reads it with `recall_context`).
 */
import type { JournalStore } from '../store/index.ts';
import type { OffloadedItem } from './context.ts';
import type { CompactionRecord } from './journal-records.ts';

/** What compaction offloaded from a run, in order; with `ref`, only that item (or none). */
export async function readOffloaded(store: JournalStore, runId: string, ref?: string): Promise<readonly (OffloadedItem & { readonly compaction: number })[]> {
  const journal = (await store.readJournal(runId)) ?? [];
  const items: (OffloadedItem & { compaction: number })[] = [];
  for (const entry of journal) {
    const step = /^compact#(\d+)$/.exec(entry.name);
    if (step === null || entry.outcome !== 'ok' || entry.valueJson === undefined) continue;
    const record = JSON.parse(entry.valueJson) as Partial<CompactionRecord>;
    for (const item of record.offloaded ?? []) {
      if (ref === undefined || item.ref === ref) items.push({ ...item, compaction: Number(step[1]) });
    }
  }
  return items;
}
