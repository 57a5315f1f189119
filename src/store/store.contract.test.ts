/**
 * The store contract: the same cases run against SQLite and Postgres (Postgres when
 * WARDEN_TEST_DATABASE_URL is set; each test gets its own schema). Every method is checked for
 * what it returns, what it persists across a reopen, and what it refuses.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isWardenError } from '../runtime/index.ts';
import { withStores, type TestStore } from '../testing/index.ts';
import { SCHEMA_VERSION, type JournalEntry, type Store } from './index.ts';

const entry = (runId: string, seq: number, name = `step-${seq}`, value: unknown = seq): JournalEntry => ({
  runId,
  seq,
  name,
  kind: 'step',
  outcome: 'ok',
  valueJson: JSON.stringify(value),
  at: 1000 + seq,
});

for (const c of withStores()) {
  describe.skipIf(c.skip)(`store contract: ${c.title}`, () => {
    let opened: TestStore;
    let store: Store;

    beforeEach(async () => {
      opened = await c.open();
      store = opened.store;
    });
    afterEach(() => opened.cleanup());

    async function reopen(): Promise<Store> {
      store = await opened.reopen();
      return store;
    }

    async function claimed(id = 'r1', owner = 'host-a'): Promise<number> {
      await store.createRun({ id, name: 'demo', input: { n: 1 }, traceId: `t-${id}`, at: 1 });
      const run = await store.claimRun(id, { owner, leaseExpiresAt: 100, at: 2 });
      return run!.epoch;
    }

    it('applies the migrations and reports the current schema version', async () => {
      expect(store.info.kind).toBe(c.kind);
      expect(store.info.schemaVersion).toBe(SCHEMA_VERSION);
      expect(store.info.durability).toMatch(c.kind === 'sqlite' ? /^journal_mode=wal synchronous=full$/ : /^synchronous_commit=on fsync=on$/);
      expect((await reopen()).info.schemaVersion).toBe(SCHEMA_VERSION);
    });

    it('creates a run once and returns the existing one for a repeated id', async () => {
      const a = await store.createRun({ id: 'r1', name: 'demo', input: { to: 'x' }, traceId: 't1', at: 5 });
      const b = await store.createRun({ id: 'r1', name: 'other', input: null, traceId: 't2', at: 6 });
      expect(a.created).toBe(true);
      expect(b.created).toBe(false);
      expect(b.run).toMatchObject({ id: 'r1', name: 'demo', input: { to: 'x' }, status: 'running', epoch: 0, traceId: 't1', createdAt: 5 });
    });

    it('gives every claim the next epoch and refuses a conditional claim of a run another live owner holds', async () => {
      const e1 = await claimed();
      expect(e1).toBe(1);
      expect(await store.claimRun('r1', { owner: 'host-b', leaseExpiresAt: 200, at: 3, onlyIf: { now: 50, owner: 'host-b' } })).toBeUndefined();
      const same = await store.claimRun('r1', { owner: 'host-a', leaseExpiresAt: 200, at: 3, onlyIf: { now: 50, owner: 'host-a' } });
      expect(same?.epoch).toBe(2);
      const expired = await store.claimRun('r1', { owner: 'host-b', leaseExpiresAt: 400, at: 300, onlyIf: { now: 300, owner: 'host-b' } });
      expect(expired).toMatchObject({ epoch: 3, owner: 'host-b', leaseExpiresAt: 400 });
    });

    it('records the claiming process, lists runs held in a pid space, and takes one over only at the epoch seen', async () => {
      const here = { host: 'box', pidSpace: 'linux:boot-1:pidns-7', pid: 4242, startTime: '991' };
      await store.createRun({ id: 'r1', name: 'demo', input: null, traceId: 't', at: 1 });
      await store.createRun({ id: 'r2', name: 'demo', input: null, traceId: 't', at: 1 });
      const held = (await store.claimRun('r1', { owner: 'box:4242', ownerProcess: here, leaseExpiresAt: 100, at: 2 }))!;
      await store.claimRun('r2', { owner: 'far:1', ownerProcess: { host: 'far', pidSpace: 'linux:boot-2:pidns-7', pid: 1 }, leaseExpiresAt: 100, at: 2 });
      expect(await (await reopen()).getRun('r1')).toMatchObject({ owner: 'box:4242', ownerProcess: here });
      expect((await store.getRun('r2'))?.ownerProcess).toEqual({ host: 'far', pidSpace: 'linux:boot-2:pidns-7', pid: 1 });
      expect((await store.listRecoverableRuns('me', 50)).map((r) => r.id)).toEqual([]);
      expect((await store.listRecoverableRuns('me', 50, here.pidSpace)).map((r) => r.id)).toEqual(['r1']);
      // The lease holds against a plain conditional claim; the epoch seen lets a taker in, once.
      expect(await store.claimRun('r1', { owner: 'me', leaseExpiresAt: 200, at: 3, onlyIf: { now: 50, owner: 'me' } })).toBeUndefined();
      expect(await store.claimRun('r1', { owner: 'me', leaseExpiresAt: 200, at: 3, onlyIf: { now: 50, owner: 'me', epoch: held.epoch + 1 } })).toBeUndefined();
      const taken = await store.claimRun('r1', { owner: 'me', leaseExpiresAt: 200, at: 3, onlyIf: { now: 50, owner: 'me', epoch: held.epoch } });
      expect(taken).toMatchObject({ owner: 'me', epoch: held.epoch + 1 });
      expect(taken?.ownerProcess).toBeUndefined(); // this claim recorded no process
      expect(
        await store.claimRun('r1', { owner: 'other', leaseExpiresAt: 200, at: 4, onlyIf: { now: 50, owner: 'other', epoch: held.epoch } }),
      ).toBeUndefined();
      await store.finishRun('r1', taken!.epoch, { status: 'suspended', reason: 'approval', detail: null }, 5);
      expect(await store.getRun('r1')).not.toHaveProperty('ownerProcess');
      expect(await store.claimRun('r1', { owner: 'me', leaseExpiresAt: 200, at: 6, onlyIf: { now: 50, owner: 'other', epoch: taken!.epoch } })).toBeUndefined(); // not running
    });

    it('refuses every write carrying a superseded epoch, in the same transaction', async () => {
      const old = await claimed();
      await store.appendJournal(entry('r1', 0), old);
      const fresh = (await store.claimRun('r1', { owner: 'host-b', leaseExpiresAt: 100, at: 3 }))!.epoch;
      expect(fresh).toBe(old + 1);
      const refusals = await Promise.allSettled([
        store.appendJournal(entry('r1', 1), old),
        store.recordEffectIntent({ key: 'k', runId: 'r1', seq: 1, name: 'mail', intentAt: 4 }, old),
        store.requestApproval({ id: 'a', runId: 'r1', seq: 1, action: 'mail', kind: 'effect', reason: 'irreversible', details: null, requestedAt: 4 }, old),
        store.finishRun('r1', old, { status: 'completed', output: 1 }, 5),
        store.truncateJournal('r1', old, 0),
      ]);
      for (const r of refusals) {
        expect(r.status).toBe('rejected');
        expect(isWardenError((r as PromiseRejectedResult).reason, 'FENCED')).toBe(true);
      }
      expect((await store.readJournal('r1')).map((e) => e.seq)).toEqual([0]);
      expect(await store.getEffect('k')).toBeUndefined();
      expect(await store.getApproval('a')).toBeUndefined();
      expect((await store.getRun('r1'))?.status).toBe('running');
      await store.appendJournal(entry('r1', 1), fresh);
      expect((await store.readJournal('r1')).map((e) => e.seq)).toEqual([0, 1]);
    });

    it('writes a journal entry idempotently and refuses a different step at the same sequence', async () => {
      const epoch = await claimed();
      await store.appendJournal(entry('r1', 0, 'fetch', { a: 1 }), epoch);
      const again = await store.appendJournal(entry('r1', 0, 'fetch', { a: 2 }), epoch);
      expect(again.valueJson).toBe('{"a":1}');
      await expect(store.appendJournal(entry('r1', 0, 'summarise'), epoch)).rejects.toMatchObject({
        code: 'JOURNAL_CONFLICT',
        existing: 'fetch',
        attempted: 'summarise',
      });
      expect(await store.readJournal('r1')).toEqual([entry('r1', 0, 'fetch', { a: 1 })]);
    });

    it('keeps an error entry and an entry without a value as written', async () => {
      const epoch = await claimed();
      const err: JournalEntry = {
        runId: 'r1',
        seq: 0,
        name: 'boom',
        kind: 'step',
        outcome: 'error',
        error: { name: 'Error', message: 'no', code: 'X' },
        at: 9,
      };
      const none: JournalEntry = { runId: 'r1', seq: 1, name: 'void', kind: 'step', outcome: 'ok', at: 10 };
      await store.appendJournal(err, epoch);
      await store.appendJournal(none, epoch);
      expect(await (await reopen()).readJournal('r1')).toEqual([err, none]);
    });

    it('group-commits concurrent appends from many runs and loses none of them', async () => {
      const epochs = new Map<string, number>();
      for (let r = 0; r < 20; r++) epochs.set(`r${r}`, await claimed(`r${r}`));
      const writes: Promise<JournalEntry>[] = [];
      for (let seq = 0; seq < 10; seq++) for (const [id, epoch] of epochs) writes.push(store.appendJournal(entry(id, seq), epoch));
      const done = await Promise.all(writes);
      expect(done).toHaveLength(200);
      await reopen();
      for (const id of epochs.keys()) expect((await store.readJournal(id)).map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('answers each caller of a mixed batch on its own: a fenced append fails, the others are written', async () => {
      const a = await claimed('a');
      const b = await claimed('b');
      const results = await Promise.allSettled([
        store.appendJournal(entry('a', 0), a),
        store.appendJournal(entry('b', 0), b + 7),
        store.appendJournal(entry('a', 1), a),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((await store.readJournal('b')).length).toBe(0);
    });

    it('records an effect intent once and marks it done together with its journal entry', async () => {
      const epoch = await claimed();
      const first = await store.recordEffectIntent({ key: 'mail-1', runId: 'r1', seq: 0, name: 'mail', input: { to: 'a' }, intentAt: 3 }, epoch);
      const second = await store.recordEffectIntent({ key: 'mail-1', runId: 'r1', seq: 0, name: 'mail', intentAt: 4 }, epoch);
      expect(first).toEqual({ key: 'mail-1', runId: 'r1', seq: 0, name: 'mail', status: 'intent', input: { to: 'a' }, intentAt: 3 });
      expect(second).toEqual(first);
      await store.appendJournal({ ...entry('r1', 0, 'mail'), kind: 'effect' }, epoch, 'mail-1');
      expect(await store.getEffect('mail-1')).toMatchObject({ status: 'done', doneAt: 1000 });
      expect(await store.listEffects('r1')).toHaveLength(1);
    });

    it('resolves an uncertain effect from outside, and re-arms a not-done one on the next intent', async () => {
      const epoch = await claimed();
      await store.recordEffectIntent({ key: 'k1', runId: 'r1', seq: 0, name: 'mail', intentAt: 3 }, epoch);
      await store.recordEffectIntent({ key: 'k2', runId: 'r1', seq: 1, name: 'mail', intentAt: 3 }, epoch);
      expect(await store.resolveEffect('k1', 'done', 7)).toBe(true);
      expect(await store.resolveEffect('k1', 'not_done', 8)).toBe(false);
      expect(await store.resolveEffect('k2', 'not_done', 8)).toBe(true);
      expect((await store.getEffect('k1'))?.status).toBe('done');
      expect((await store.recordEffectIntent({ key: 'k2', runId: 'r1', seq: 1, name: 'mail', intentAt: 9 }, epoch)).status).toBe('intent');
      expect((await store.recordEffectIntent({ key: 'k1', runId: 'r1', seq: 0, name: 'mail', intentAt: 9 }, epoch)).status).toBe('done');
    });

    it('records finish, failure and suspension, releasing ownership', async () => {
      let epoch = await claimed();
      await store.finishRun('r1', epoch, { status: 'suspended', reason: 'approval', detail: { approval: 'a1' } }, 10);
      expect(await store.getRun('r1')).toMatchObject({ status: 'suspended', suspendReason: 'approval', suspendDetail: { approval: 'a1' } });
      expect((await store.getRun('r1'))?.owner).toBeUndefined();
      expect(await store.claimRun('r1', { owner: 'x', leaseExpiresAt: 1, at: 11, onlyIf: { now: 11, owner: 'x' } })).toBeUndefined();
      expect(await store.requestRun('r1', 'resume', 12)).toBe(true);
      expect((await store.listRecoverableRuns('x', 12)).map((r) => r.id)).toEqual(['r1']);
      epoch = (await store.claimRun('r1', { owner: 'x', leaseExpiresAt: 100, at: 13, onlyIf: { now: 13, owner: 'x' } }))!.epoch;
      await store.finishRun('r1', epoch, { status: 'failed', error: { name: 'Error', message: 'bad' } }, 14);
      expect(await store.getRun('r1')).toMatchObject({ status: 'failed', error: { message: 'bad' }, finishedAt: 14 });
      epoch = (await store.claimRun('r1', { owner: 'x', leaseExpiresAt: 100, at: 15 }))!.epoch;
      await store.finishRun('r1', epoch, { status: 'completed', output: { ok: true } }, 16);
      expect(await (await reopen()).getRun('r1')).toMatchObject({ status: 'completed', output: { ok: true }, finishedAt: 16 });
      expect(await store.claimRun('r1', { owner: 'x', leaseExpiresAt: 100, at: 17 })).toBeUndefined();
    });

    it('lists runs by status and name, newest first', async () => {
      await store.createRun({ id: 'a', name: 'one', input: null, traceId: 't', at: 1 });
      await store.createRun({ id: 'b', name: 'two', input: null, traceId: 't', at: 2 });
      const e = (await store.claimRun('b', { owner: 'o', leaseExpiresAt: 9, at: 3 }))!.epoch;
      await store.finishRun('b', e, { status: 'completed', output: undefined }, 4);
      expect((await store.listRuns()).map((r) => r.id)).toEqual(['b', 'a']);
      expect((await store.listRuns({ status: 'running' })).map((r) => r.id)).toEqual(['a']);
      expect((await store.listRuns({ name: 'two' })).map((r) => r.id)).toEqual(['b']);
      expect((await store.getRun('b'))?.output).toBeUndefined();
    });

    it('cancels an idle run and fences whoever held it; refuses to cancel one a live owner holds', async () => {
      const epoch = await claimed();
      expect(await store.cancelIdleRun('r1', { name: 'Cancelled', message: 'by cli' }, 50)).toBeUndefined();
      const cancelled = await store.cancelIdleRun('r1', { name: 'Cancelled', message: 'by cli' }, 100);
      expect(cancelled).toMatchObject({ status: 'cancelled', epoch: epoch + 1 });
      await expect(store.appendJournal(entry('r1', 0), epoch)).rejects.toMatchObject({ code: 'FENCED' });
    });

    it('truncates the journal from a sequence for a retry', async () => {
      const epoch = await claimed();
      for (let i = 0; i < 3; i++) await store.appendJournal(entry('r1', i), epoch);
      expect(await store.truncateJournal('r1', epoch, 2)).toBe(1);
      expect((await store.readJournal('r1')).map((e) => e.seq)).toEqual([0, 1]);
    });

    it('archives or deletes finished runs by policy, keeping unfinished ones whole', async () => {
      for (const id of ['done', 'gone', 'live']) {
        const e = await claimed(id);
        await store.appendJournal(entry(id, 0), e);
        if (id !== 'live') await store.finishRun(id, e, { status: 'completed', output: id }, 20);
      }
      expect(await store.compactRuns({ finishedBefore: 10, statuses: ['completed'], mode: 'archive', at: 30 })).toBe(0);
      expect(await store.compactRuns({ finishedBefore: 25, statuses: ['completed'], mode: 'archive', at: 30 })).toBe(2);
      expect(await store.readJournal('done')).toEqual([]);
      expect(await store.readArchivedJournal('done')).toEqual([entry('done', 0)]);
      expect((await store.getRun('done'))?.archivedAt).toBe(30);
      expect(await store.compactRuns({ finishedBefore: 25, statuses: ['completed'], mode: 'delete', at: 31 })).toBe(0);
      expect((await store.readJournal('live')).length).toBe(1);
      const e = await store.claimRun('gone', { owner: 'x', leaseExpiresAt: 1, at: 1 });
      expect(e).toBeUndefined();
    });

    it('deletes finished runs outright in delete mode', async () => {
      const e = await claimed('old');
      await store.appendJournal(entry('old', 0), e);
      await store.finishRun('old', e, { status: 'failed', error: { name: 'E', message: 'x' } }, 5);
      expect(await store.compactRuns({ finishedBefore: 5, statuses: ['failed'], mode: 'delete', at: 6 })).toBe(1);
      expect(await store.getRun('old')).toBeUndefined();
      expect(await store.readJournal('old')).toEqual([]);
    });

    it('keeps dead letters with their attempts and moves them only from the expected status', async () => {
      const letter = await store.addDeadLetter({
        id: 'd1',
        source: 'mailer',
        runId: 'r1',
        input: { to: 'a' },
        error: { name: 'HttpStatusError', message: '503', code: 'HTTP_STATUS' },
        attempts: [{ attempt: 1, at: 1, error: { name: 'E', message: '503' } }],
        traceId: 'trace-1',
        createdAt: 7,
      });
      expect(letter).toMatchObject({ status: 'pending', updatedAt: 7, attempts: [{ attempt: 1 }] });
      expect(await store.updateDeadLetter('d1', ['replayed'], { status: 'discarded' }, 8)).toBeUndefined();
      const req = await store.updateDeadLetter('d1', ['pending'], { status: 'replay_requested', replayInput: { to: 'b' } }, 9);
      expect(req).toMatchObject({ status: 'replay_requested', replayInput: { to: 'b' } });
      await store.updateDeadLetter('d1', ['replay_requested'], { status: 'replayed', replayedAs: 'r2' }, 10);
      expect(await (await reopen()).getDeadLetter('d1')).toMatchObject({ status: 'replayed', replayInput: { to: 'b' }, replayedAs: 'r2', traceId: 'trace-1' });
      expect((await store.listDeadLetters({ status: 'replayed' })).map((d) => d.id)).toEqual(['d1']);
      expect(await store.listDeadLetters({ status: 'pending' })).toEqual([]);
    });

    it('stores quarantine records by namespace and key', async () => {
      await store.putQuarantine('q', 'k1', { crashes: 1 });
      await store.putQuarantine('q', 'k1', { crashes: 2 });
      await store.putQuarantine('other', 'k1', { crashes: 9 });
      expect(await store.getQuarantine('q', 'k1')).toEqual({ crashes: 2 });
      expect((await store.listQuarantine('q')).length).toBe(1);
      expect((await store.listQuarantine()).length).toBe(2);
      expect(await store.deleteQuarantine('q', 'k1')).toBe(true);
      expect(await store.deleteQuarantine('q', 'k1')).toBe(false);
    });

    it('decides an approval once, writes the audit entry and asks the suspended run to resume', async () => {
      const epoch = await claimed();
      await store.requestApproval(
        { id: 'r1:3', runId: 'r1', seq: 3, action: 'send-mail', kind: 'effect', reason: 'irreversible', details: { to: 'ceo' }, requestedAt: 5 },
        epoch,
      );
      await store.finishRun('r1', epoch, { status: 'suspended', reason: 'approval', detail: { approval: 'r1:3' } }, 6);
      expect((await store.listApprovals({ status: 'pending' })).map((a) => a.id)).toEqual(['r1:3']);
      const d = await store.decideApproval('r1:3', 'denied', 'alice', 'not to the ceo', 7);
      expect(d).toMatchObject({ decided: true, approval: { status: 'denied', decidedBy: 'alice', decisionReason: 'not to the ceo', decidedAt: 7 } });
      const again = await store.decideApproval('r1:3', 'approved', 'bob', 'sure', 8);
      expect(again).toMatchObject({ decided: false, approval: { status: 'denied', decidedBy: 'alice' } });
      expect(await store.decideApproval('nope', 'approved', 'bob', 'x', 8)).toBeUndefined();
      expect((await store.getRun('r1'))?.request).toBe('resume');
      const audit = await store.listAudit({ subject: 'approval:r1:3' });
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ actor: 'alice', action: 'approval.denied', reason: 'not to the ceo', at: 7 });
      const extra = await store.appendAudit({ at: 9, actor: 'cli', action: 'run.cancel', subject: 'run:r1' });
      expect(extra.id).toBeGreaterThan(audit[0]!.id);
    });

    it('grants a key lease to one owner at a time until it expires or is released', async () => {
      expect(await store.claimKeyLease('sync', 'a', 100, 0)).toBe(true);
      expect(await store.claimKeyLease('sync', 'b', 150, 50)).toBe(false);
      expect(await store.claimKeyLease('sync', 'a', 200, 60)).toBe(true);
      expect(await store.claimKeyLease('sync', 'b', 300, 200)).toBe(true);
      expect(await store.releaseKeyLease('sync', 'a')).toBe(false);
      expect((await store.listKeyLeases(250)).map((l) => l.owner)).toEqual(['b']);
      expect(await store.releaseKeyLease('sync', 'b')).toBe(true);
      expect(await store.claimKeyLease('sync', 'a', 400, 260)).toBe(true);
    });

    it('renews only the run leases the owner holds at the given epochs, on running runs', async () => {
      const held = await claimed('r1', 'host-a');
      const otherOwner = await claimed('r2', 'host-b');
      const superseded = await claimed('r3', 'host-a');
      await store.claimRun('r3', { owner: 'host-a', leaseExpiresAt: 100, at: 3 });
      const suspended = await claimed('r4', 'host-a');
      await store.finishRun('r4', suspended, { status: 'suspended', reason: 'approval', detail: null }, 4);
      const runs = [
        { id: 'r1', epoch: held },
        { id: 'r2', epoch: otherOwner },
        { id: 'r3', epoch: superseded },
        { id: 'r4', epoch: suspended },
      ];
      expect(await store.renewRunLeases('host-a', runs, 500)).toBe(1);
      expect((await store.getRun('r1'))?.leaseExpiresAt).toBe(500);
      expect((await store.getRun('r2'))?.leaseExpiresAt).toBe(100);
      expect((await store.getRun('r3'))?.leaseExpiresAt).toBe(100);
      expect((await store.getRun('r4'))?.leaseExpiresAt).toBeUndefined();
      expect(await store.renewRunLeases('host-a', [], 600)).toBe(0);
    });

    it('keeps clock times with a fraction of a millisecond exactly', async () => {
      await store.createRun({ id: 'f', name: 'demo', input: null, traceId: 't', at: 1795454238282.1982 });
      await store.claimRun('f', { owner: 'o', leaseExpiresAt: 1795454268282.5, at: 1795454238283.25 });
      const audit = await store.appendAudit({ at: 1795454238284.125, actor: 'a', action: 'x', subject: 's' });
      expect(await store.getRun('f')).toMatchObject({ createdAt: 1795454238282.1982, leaseExpiresAt: 1795454268282.5, updatedAt: 1795454238283.25 });
      expect(audit.at).toBe(1795454238284.125);
      expect(await store.claimKeyLease('k', 'o', 10.5, 0.25)).toBe(true);
    });

    it('lets exactly one of many concurrent claimants take a key lease', async () => {
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.claimKeyLease('job', `o${i}`, 100, 0)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });
}
