/**
 * Effects and approval gates, on both stores: idempotency keys reach the effect, a done effect
 * is never repeated, an uncertain one is reconciled or escalated (never blindly retried),
 * approvals suspend the run until decided, a denied action never runs, and every decision is in
 * the audit trail. The property at the end: whatever points a run crashes at, replaying its
 * journal performs each effect at most once and the run completes.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventBus, VirtualClock, WardenEvent } from '../runtime/index.ts';
import { Quarantine, SpawnGuard } from '../resilience/index.ts';
import { startDurableHarness, waitFor, withStores, type DurableHarness } from '../testing/index.ts';
import type { Store } from '../store/index.ts';
import { Approvals, StoreQuarantineStore, StoreSpawnKeyStore, defineRun, requireApproval, type RunHandle } from './index.ts';

for (const c of withStores()) {
  describe.skipIf(c.skip)(`effects and approvals: ${c.title}`, () => {
    let bench: DurableHarness;
    let store: Store;
    let clock: VirtualClock;
    let bus: EventBus;
    let events: WardenEvent[];

    beforeEach(async () => {
      bench = await startDurableHarness({ store: c, startMs: 5_000, owner: 'worker-1' });
      ({ store, clock, bus, events } = bench);
    });
    afterEach(() => bench.close());

    const host: DurableHarness['host'] = (runs, options) => bench.host(runs, options);

    /** A mail service that delivers once per idempotency key, as a real provider would. */
    function mailService() {
      const delivered = new Map<string, number>();
      const attempts = new Map<string, number>();
      return {
        delivered,
        attempts,
        send(key: string): string {
          attempts.set(key, (attempts.get(key) ?? 0) + 1);
          if (!delivered.has(key)) delivered.set(key, delivered.size + 1);
          return `msg-${delivered.get(key)}`;
        },
      };
    }

    it('passes a stable idempotency key to the effect and records intent, then done', async () => {
      const mail = mailService();
      const keys: string[] = [];
      const def = defineRun('notify', async (run) => run.effect('send-mail', ({ idempotencyKey }) => (keys.push(idempotencyKey), mail.send(idempotencyKey))));
      const { id, result } = await host([def]).start(def, null);
      expect(await result).toMatchObject({ status: 'completed', output: 'msg-1' });
      expect(keys).toEqual([`${id}:0:send-mail`]);
      expect(await store.getEffect(keys[0]!)).toMatchObject({ status: 'done', runId: id, seq: 0, name: 'send-mail' });
      expect(events.filter((e) => e.type.startsWith('effect.')).map((e) => e.type)).toEqual(['effect.intent', 'effect.done']);
    });

    it('never repeats a done effect when the run resumes', async () => {
      const mail = mailService();
      let hang = true;
      const def = defineRun('notify-then-wait', async (run) => {
        const receipt = await run.effect('send-mail', ({ idempotencyKey }) => mail.send(idempotencyKey));
        await run.step('after', () => (hang ? new Promise<void>(() => {}) : undefined));
        return receipt;
      });
      await host([def]).start(def, null);
      await waitFor(() => events.some((e) => e.type === 'effect.done'));
      hang = false;
      const [h] = await host([def]).recover();
      expect(await h!.result).toMatchObject({ status: 'completed', output: 'msg-1' });
      expect([...mail.attempts.values()]).toEqual([1]);
    });

    it('suspends a run whose effect is uncertain and has no reconcile function, without retrying it', async () => {
      const mail = mailService();
      const def = defineRun('uncertain', async (run) => run.effect('send-mail', ({ idempotencyKey }) => mail.send(idempotencyKey)));
      const first = host([def]);
      const { id } = await first.start(def, null);
      await first.close();
      // Recreate the crash window: intent recorded, outcome lost.
      const run = (await store.getRun(id))!;
      if ((await store.getEffect(`${id}:0:send-mail`)) === undefined) {
        await store.recordEffectIntent({ key: `${id}:0:send-mail`, runId: id, seq: 0, name: 'send-mail', intentAt: 1 }, run.epoch);
      }
      await store.truncateJournal(id, run.epoch, 0);
      mail.attempts.clear();
      const h = host([def]);
      const [handle] = await h.recover();
      expect(await handle!.result).toMatchObject({
        status: 'suspended',
        reason: 'uncertain_effect',
        detail: { effect: 'send-mail', key: `${id}:0:send-mail`, seq: 0 },
      });
      expect(mail.attempts.size).toBe(0);
      expect(events.some((e) => e.type === 'effect.uncertain' && e.reconciled === 'escalated')).toBe(true);
      // A person checks the mail service: it was sent. The run goes on without sending again.
      await h.resolveEffect(id, `${id}:0:send-mail`, 'done', { by: 'ops', reason: 'found in the outbox' });
      const [resumed] = await h.recover();
      expect(await resumed!.result).toMatchObject({ status: 'completed' });
      expect(mail.attempts.size).toBe(0);
      expect((await store.listAudit({ subject: `effect:${id}:0:send-mail` }))[0]).toMatchObject({ actor: 'ops', action: 'effect.done' });
    });

    it('asks the reconcile function about an uncertain effect and repeats it only when it was not done', async () => {
      for (const wasDone of [true, false]) {
        const mail = mailService();
        const def = defineRun(`reconciled-${wasDone}`, async (run) =>
          run.effect('charge', ({ idempotencyKey }) => mail.send(idempotencyKey), {
            reconcile: ({ idempotencyKey }) => (wasDone ? { done: true, value: `found-${idempotencyKey}` } : { done: false }),
          }),
        );
        const h = host([def]);
        const { id } = await store.createRun({ id: `run-${wasDone}`, name: def.name, input: null, traceId: 't', at: 1 }).then((r) => r.run);
        const claimed = (await store.claimRun(id, { owner: 'dead-host', leaseExpiresAt: 0, at: 1 }))!;
        await store.recordEffectIntent({ key: `${id}:0:charge`, runId: id, seq: 0, name: 'charge', intentAt: 1 }, claimed.epoch);
        const [handle] = await h.recover();
        const outcome = await handle!.result;
        if (wasDone) {
          expect(outcome).toMatchObject({ status: 'completed', output: `found-${id}:0:charge` });
          expect(mail.attempts.size).toBe(0);
        } else {
          expect(outcome).toMatchObject({ status: 'completed', output: 'msg-1' });
          expect([...mail.attempts]).toEqual([[`${id}:0:charge`, 1]]);
        }
      }
    });

    it('suspends an irreversible effect until approved, then runs it once; the approval survives a restart', async () => {
      const mail = mailService();
      const def = defineRun('wire', async (run, input: { amount: number }) =>
        run.effect('wire-money', ({ idempotencyKey }) => mail.send(idempotencyKey), { irreversible: true, args: { amount: input.amount } }),
      );
      const { id, result } = await host([def]).start(def, { amount: 900 });
      expect(await result).toMatchObject({
        status: 'suspended',
        reason: 'approval',
        detail: { approvalId: `${id}:0`, action: 'wire-money', reason: 'marked irreversible' },
      });
      expect(mail.attempts.size).toBe(0);
      // Restart: a new host on a reopened store.
      store = await bench.restart();
      const h = host([def]);
      expect(await h.recover()).toEqual([]); // still waiting for a person
      const [pending] = await h.approvals.list({ status: 'pending' });
      expect(pending).toMatchObject({ id: `${id}:0`, action: 'wire-money', kind: 'effect', details: { args: { amount: 900 } } });
      await h.approvals.approve(pending!.id, { by: 'alice', reason: 'invoice 42' });
      await waitFor(() => events.some((e) => e.type === 'run.completed'));
      expect([...mail.attempts.values()]).toEqual([1]);
      await expect(h.approvals.deny(pending!.id, { by: 'bob', reason: 'late' })).rejects.toThrow(/already approved by alice/);
      expect((await h.approvals.audit({ subject: `approval:${id}:0` })).map((a) => [a.actor, a.action, a.reason])).toEqual([
        ['alice', 'approval.approved', 'invoice 42'],
      ]);
    });

    it('resumes a run whose approval was decided before the run was recorded as suspended', async () => {
      const mail = mailService();
      const def = defineRun('wire', async (run) => run.effect('wire-money', ({ idempotencyKey }) => mail.send(idempotencyKey), { irreversible: true }));
      const h = host([def]);
      // Decided the moment it is asked for, while the run is still running (an auto-approving policy,
      // a quick person), from another process: only the store tells this host (a decision on this
      // host resumes the run at once as well; two pickups at once are the next test's).
      const elsewhere = new Approvals(store, { clock });
      let decided: Promise<unknown> | undefined;
      const sub = bus.on('approval.requested', (e) => {
        decided ??= elsewhere.approve(e.approvalId, { by: 'policy-bot', reason: 'pre-cleared' });
      });
      const { id, result } = await h.start(def, null);
      expect(await result).toMatchObject({ status: 'suspended', reason: 'approval' });
      await decided;
      sub.dispose();
      expect((await store.getRun(id))?.request).toBe('resume');
      await h.recover();
      await waitFor(() => events.some((e) => e.type === 'run.completed'), 'the run completes');
      expect([...mail.attempts.values()]).toEqual([1]);
    });

    /** `real` with some of its methods replaced (the others bound to it). */
    function storeWith(real: Store, overrides: Partial<Store>): Store {
      return new Proxy(real, {
        get(target, key) {
          const v: unknown = Reflect.get(overrides, key) ?? Reflect.get(target, key);
          return typeof v === 'function' ? v.bind(key in overrides ? overrides : target) : v;
        },
      });
    }

    /**
     * The store, with the first claim of a run held until `listRecoverableRuns` has answered twice:
     * two pickups of one run on one host overlap, whichever store answers first.
     */
    function overlappingPickups(real: Store): Store {
      let listed = 0;
      let held = false;
      let release!: () => void;
      const bothListed = new Promise<void>((r) => (release = r));
      return storeWith(real, {
        async listRecoverableRuns(...args) {
          const runs = await real.listRecoverableRuns(...args);
          if (++listed === 2) setImmediate(release); // after the second lister has gone on to claim
          return runs;
        },
        async claimRun(...args) {
          if (!held) await ((held = true), bothListed);
          return real.claimRun(...args);
        },
      });
    }

    it('resumes a run suspended while its approval was being decided, when neither side saw the other', async () => {
      const mail = mailService();
      const def = defineRun('wire', async (run) => run.effect('wire-money', ({ idempotencyKey }) => mail.send(idempotencyKey), { irreversible: true }));
      const h = host([def]);
      const { id, result } = await h.start(def, null);
      expect((await result).status).toBe('suspended');
      // Both transactions under way at once (Postgres, read committed): the decision read the run
      // still running, so it left no resume request, and the run read the approval still pending.
      const missedTheSuspension = storeWith(store, {
        async decideApproval(...args) {
          const decided = await store.decideApproval(...args);
          await store.requestRun(id, undefined, clock.now());
          return decided;
        },
      });
      await new Approvals(missedTheSuspension, { clock }).approve(`${id}:0`, { by: 'alice', reason: 'ok' });
      expect((await store.getRun(id))?.request).toBe('resume');
      await h.recover();
      await waitFor(() => events.some((e) => e.type === 'run.completed'), 'the run completes');
      expect([...mail.attempts.values()]).toEqual([1]);
    });

    it('executes a run once when two pickups on one host find its resume request at the same time', async () => {
      const mail = mailService();
      const def = defineRun('wire', async (run) => run.effect('wire-money', ({ idempotencyKey }) => mail.send(idempotencyKey), { irreversible: true }));
      const { id, result } = await host([def]).start(def, null);
      expect((await result).status).toBe('suspended');
      await store.decideApproval(`${id}:0`, 'approved', 'alice', 'ok', clock.now());
      // A poll and the decision (or a second poll) on one host: both find the run asked to resume.
      const h = host([def], { store: overlappingPickups(store) });
      const handles = (await Promise.all([h.recover(), h.recover()])).flat();
      expect(handles.map((r) => r.id)).toEqual([id, id]);
      for (const r of handles) expect(await r.result).toMatchObject({ runId: id, status: 'completed', output: 'msg-1' });
      expect(events.filter((e) => e.type === 'run.fenced')).toEqual([]);
      expect((await store.getRun(id))?.status).toBe('completed');
      expect([...mail.attempts.values()]).toEqual([1]);
    });

    it('never executes a denied action and throws ApprovalDeniedError into the run, the same way on replay', async () => {
      const mail = mailService();
      const def = defineRun('post', async (run) => {
        try {
          await run.effect('post-tweet', ({ idempotencyKey }) => mail.send(idempotencyKey), { tool: 'twitter.post' });
          return 'posted';
        } catch (e) {
          return `not posted: ${(e as { code?: string }).code}`;
        }
      });
      const h = host([def], { approvalPolicies: [requireApproval.forTools('twitter.post')] });
      const { id, result } = await h.start(def, null);
      expect((await result).status).toBe('suspended');
      await h.approvals.deny(`${id}:0`, { by: 'carol', reason: 'off brand' });
      await waitFor(() => events.some((e) => e.type === 'run.completed'));
      expect(await store.getRun(id)).toMatchObject({ status: 'completed', output: 'not posted: APPROVAL_DENIED' });
      expect(mail.attempts.size).toBe(0);
      expect(events.find((e) => e.type === 'approval.decided')).toMatchObject({ decision: 'denied', by: 'carol' });
    });

    it('requires a person and a reason for every decision', async () => {
      const h = host([]);
      await expect(h.approvals.approve('x', { by: '', reason: 'r' })).rejects.toMatchObject({ code: 'INVALID_SPEC', path: 'by' });
      await expect(h.approvals.approve('x', { by: 'a', reason: ' ' })).rejects.toMatchObject({ code: 'INVALID_SPEC', path: 'reason' });
      await expect(h.approvals.approve('x', { by: 'a', reason: 'r' })).rejects.toMatchObject({
        code: 'DURABLE_STATE',
        message: expect.stringContaining('no such approval'),
      });
    });

    it.each([
      ['a tool name', [requireApproval.forTools('shell.exec')], { tool: 'shell.exec' }, true],
      ['another tool', [requireApproval.forTools('shell.exec')], { tool: 'search' }, false],
      ['an argument pattern', [requireApproval.whenArgument('to', /@competitor\.com$/)], { args: { to: 'x@competitor.com' } }, true],
      ['a harmless argument', [requireApproval.whenArgument('to', /@competitor\.com$/)], { args: { to: 'x@us.com' } }, false],
      ['a cost above the limit', [requireApproval.aboveCost(1)], { costUsd: 2.5 }, true],
      ['a cost within the limit', [requireApproval.aboveCost(1)], { costUsd: 0.5 }, false],
    ] as const)('gates a step by %s only when the policy matches', async (_label, policies, options, gated) => {
      let ran = 0;
      const def = defineRun('policy', async (run) => run.step('act', () => ++ran, options));
      const { result } = await host([def], { approvalPolicies: policies }).start(def, null);
      expect((await result).status).toBe(gated ? 'suspended' : 'completed');
      expect(ran).toBe(gated ? 0 : 1);
    });

    it('persists quarantine records through the store, across a reopen', async () => {
      const q = new Quarantine({ name: 'inbox', maxCrashes: 2, store: new StoreQuarantineStore(store, 'inbox'), clock });
      const poison = { mail: 'x'.repeat(10) };
      for (let i = 0; i < 2; i++) {
        await q
          .run(poison, () => {
            throw new TypeError('cannot parse');
          })
          .catch(() => undefined);
      }
      store = await bench.restart();
      const again = new Quarantine({ name: 'inbox', maxCrashes: 2, store: new StoreQuarantineStore(store, 'inbox'), clock });
      await expect(again.run(poison, () => 'handled')).rejects.toMatchObject({ code: 'QUARANTINED', crashes: 2 });
      const [record] = await again.list();
      expect(record).toMatchObject({ crashes: 2, lastError: { name: 'TypeError', message: 'cannot parse' } });
      expect(await again.release(record!.key)).toBe(true);
      expect(await again.run(poison, () => 'handled')).toBe('handled');
    });

    it('lets only one of two processes run a spawn-guarded task, until its lease expires', async () => {
      const a = new SpawnGuard({ name: 'memory-sync', maxHoldMs: 10_000, store: new StoreSpawnKeyStore(store, clock), clock });
      const b = new SpawnGuard({ name: 'memory-sync', maxHoldMs: 10_000, store: new StoreSpawnKeyStore(store, clock), clock });
      let release!: () => void;
      const running = a.run('sync', () => new Promise<string>((r) => (release = () => r('a done'))));
      await waitFor(() => release !== undefined);
      await expect(b.run('sync', () => 'b')).rejects.toMatchObject({ code: 'SPAWN_CONFLICT', heldElsewhere: true });
      release();
      expect(await running).toBe('a done');
      expect(await b.run('sync', () => 'b')).toBe('b');
      // A holder that died without releasing: its lease frees the key once expired.
      await store.claimKeyLease('spawn:sync', 'crashed-process', clock.now() + 10_000, clock.now());
      await expect(b.run('sync', () => 'b')).rejects.toMatchObject({ code: 'SPAWN_CONFLICT' });
      await clock.advance(10_000);
      expect(await b.run('sync', () => 'b again')).toBe('b again');
    });

    it('performs each effect at most once and completes, whatever points the run crashes at (property)', async () => {
      // Crash points: inside the step before an effect, between intent and the call, between the
      // call and done, after done; at any of the 4 effects; up to 3 crashes per run. A crash
      // leaves the incarnation hanging where it was; a restarted host (same owner) takes over.
      const point = fc.record({ effect: fc.integer({ min: 0, max: 3 }), where: fc.constantFrom('before', 'after-intent', 'after-call', 'after-done') });
      let n = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(point, { maxLength: 3 }), async (crashes) => {
          const mail = mailService();
          const pending = [...crashes];
          let hung = false;
          const crashHere = async (effect: number, where: string): Promise<void> => {
            const i = pending.findIndex((p) => p.effect === effect && p.where === where);
            if (i < 0) return;
            pending.splice(i, 1);
            hung = true;
            await new Promise<never>(() => {});
          };
          const def = defineRun(`mailer-${++n}`, async (run) => {
            const receipts: string[] = [];
            for (let e = 0; e < 4; e++) {
              await run.step(`compose-${e}`, async () => {
                await crashHere(e, 'before');
                return `draft ${e}`;
              });
              receipts.push(
                await run.effect(
                  `send-${e}`,
                  async ({ idempotencyKey }) => {
                    await crashHere(e, 'after-intent');
                    const r = mail.send(idempotencyKey);
                    await crashHere(e, 'after-call');
                    return r;
                  },
                  {
                    reconcile: ({ idempotencyKey }) =>
                      mail.delivered.has(idempotencyKey) ? { done: true, value: `msg-${mail.delivered.get(idempotencyKey)}` } : { done: false },
                  },
                ),
              );
              if (pending.some((p) => p.effect === e && p.where === 'after-done')) await run.step(`stall-${e}`, () => crashHere(e, 'after-done'));
            }
            return receipts;
          });
          let handle: RunHandle = await host([def], { owner: 'proc' }).start(def, null);
          let outcome: unknown;
          void handle.result.then((o) => (outcome = o));
          for (let restarts = 0; ; restarts++) {
            await waitFor(() => outcome !== undefined || hung, 'the run to finish or crash');
            if (outcome !== undefined) break;
            expect(restarts).toBeLessThan(crashes.length);
            hung = false;
            const [next] = await host([def], { owner: 'proc' }).recover();
            handle = next!;
            void handle.result.then((o) => (outcome = o));
          }
          expect(outcome).toMatchObject({ status: 'completed', output: ['msg-1', 'msg-2', 'msg-3', 'msg-4'] });
          for (const count of mail.attempts.values()) expect(count).toBe(1);
          expect(mail.delivered.size).toBe(4);
          await bench.closeHosts();
        }),
        { numRuns: c.kind === 'sqlite' ? 40 : 15, seed: 42 },
      );
    });
  });
}
