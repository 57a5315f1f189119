/**
 * Bounded mailboxes and backpressure: the reject and drop_oldest policies, sendWait's FIFO
 * wait and timeout, and (as a property) a mailbox never holding more user messages than its
 * capacity. On the virtual clock.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExitMessage, Runtime, VirtualClock, isWardenError, settle, type ProcessContext } from './index.ts';

function setup(): { rt: Runtime; clock: VirtualClock } {
  const clock = new VirtualClock();
  return { rt: new Runtime({ clock }), clock };
}

const hang = async (ctx: ProcessContext): Promise<void> => {
  await ctx.receive(() => false);
};

describe('bounded mailboxes', () => {
  it('rejects a send to a full mailbox with MailboxFullError under the reject policy', async () => {
    const { rt } = setup();
    const pid = rt.spawn(hang, undefined, { mailbox: { capacity: 2 } });
    await settle();
    rt.send(pid, 1);
    rt.send(pid, 2);
    expect(() => rt.send(pid, 3)).toThrow(expect.objectContaining({ code: 'MAILBOX_FULL', capacity: 2 }));
    expect(rt.info(pid)?.messageQueueLength).toBe(2);
  });

  it('drops the oldest user message under drop_oldest, keeping system messages, and reports it', async () => {
    const { rt } = setup();
    const dropped: unknown[] = [];
    rt.events.on('process.message_dropped', (e) => dropped.push(e.pid));
    const seen: unknown[] = [];
    const pid = rt.spawn(
      async (ctx) => {
        await ctx.receive((m) => m === 'go');
        for (let m = ctx.tryReceive(); m !== undefined; m = ctx.tryReceive()) seen.push(m);
      },
      undefined,
      { mailbox: { capacity: 2, overflow: 'drop_oldest' }, trapExits: true },
    );
    await settle();
    rt.sendExit(pid, 'signal');
    rt.send(pid, 1);
    rt.send(pid, 2);
    rt.send(pid, 3);
    rt.send(pid, 'go');
    await rt.whenExited(pid);
    // 3 arrived in a full mailbox and pushed out 1; 'go' went straight to the pending receive.
    expect(seen[0]).toBeInstanceOf(ExitMessage);
    expect(seen.slice(1)).toEqual([2, 3]);
    expect(dropped).toEqual([pid]);
  });

  it('makes sendWait wait for room, first come first served, and time out after timeoutMs', async () => {
    const { rt, clock } = setup();
    const consumed: unknown[] = [];
    const pid = rt.spawn(
      async (ctx) => {
        for (;;) {
          await ctx.sleep(10);
          consumed.push(await ctx.receive());
        }
      },
      undefined,
      { mailbox: { capacity: 1, overflow: 'block' } },
    );
    await settle();
    rt.send(pid, 'a');
    expect(() => rt.send(pid, 'x')).toThrow(expect.objectContaining({ code: 'MAILBOX_FULL' }));
    const order: string[] = [];
    const b = rt.sendWait(pid, 'b', { timeoutMs: 1000 }).then(() => order.push(`b@${clock.now()}`));
    const c = rt.sendWait(pid, 'c', { timeoutMs: 1000 }).then(() => order.push(`c@${clock.now()}`));
    const d = rt.sendWait(pid, 'd', { timeoutMs: 5 }).catch((e: unknown) => order.push(`d:${isWardenError(e, 'MAILBOX_FULL')}@${clock.now()}`));
    await clock.advance(40);
    await Promise.all([b, c, d]);
    expect(order).toEqual(['d:true@5', 'b@10', 'c@20']);
    expect(consumed).toEqual(['a', 'b', 'c']);
  });

  it('never holds more user messages than its capacity, whatever is sent (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom<'reject' | 'drop_oldest'>('reject', 'drop_oldest'),
        fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 40 }),
        async (capacity, overflow, script) => {
          const { rt } = setup();
          let take = 0;
          const pid = rt.spawn(
            async (ctx) => {
              for (;;) {
                await ctx.receive((m) => m === 'never');
                take++;
              }
            },
            undefined,
            { mailbox: { capacity, overflow } },
          );
          await settle();
          for (const n of script) {
            for (let i = 0; i < n; i++) {
              try {
                rt.send(pid, i);
              } catch {
                /* full */
              }
            }
            expect(rt.info(pid)?.messageQueueLength ?? 0).toBeLessThanOrEqual(capacity);
          }
          expect(take).toBe(0);
        },
      ),
    );
  });
});
