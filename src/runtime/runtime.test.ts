/**
 * The runtime's process semantics: lifecycle and exit reasons, messages and selective
 * receive, links and exit trapping, monitors, bounded mailboxes, calls, the registry, topics,
 * and fencing of dead processes. Everything runs on the virtual clock.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CallTargetExitedError,
  Crash,
  DownMessage,
  ExitMessage,
  NameTakenError,
  Runtime,
  VirtualClock,
  isCall,
  isWardenError,
  settle,
  type ExitReason,
  type Pid,
  type ProcessContext,
  type WardenEvent,
} from './index.ts';

function setup(): { rt: Runtime; clock: VirtualClock } {
  const clock = new VirtualClock();
  return { rt: new Runtime({ clock }), clock };
}

/** A process that records every message it gets until it receives 'stop'. */
function collector(rt: Runtime, options?: Parameters<Runtime['spawn']>[2]): { pid: Pid; got: unknown[] } {
  const got: unknown[] = [];
  const pid = rt.spawn(
    async (ctx: ProcessContext) => {
      for (;;) {
        const m = await ctx.receive();
        if (m === 'stop') return;
        got.push(m);
      }
    },
    undefined,
    options,
  );
  return { pid, got };
}

const hang = async (ctx: ProcessContext): Promise<void> => {
  await ctx.receive(() => false);
};

describe('process lifecycle', () => {
  it('starts a body on the next microtask, not inside spawn', async () => {
    const { rt } = setup();
    const order: string[] = [];
    rt.spawn(() => {
      order.push('body');
    });
    order.push('after spawn');
    await settle();
    expect(order).toEqual(['after spawn', 'body']);
  });

  it('exits normal when the body returns and with a Crash carrying the thrown error when it throws', async () => {
    const { rt } = setup();
    const boom = new Error('boom');
    const ok = rt.spawn(async () => {});
    const bad = rt.spawn(async () => {
      throw boom;
    });
    expect(await rt.whenExited(ok)).toBe('normal');
    const reason = await rt.whenExited(bad);
    expect(reason).toBeInstanceOf(Crash);
    expect((reason as Crash).error).toBe(boom);
  });

  it('exits with the reason given to ctx.exit and runs no code after it', async () => {
    const { rt } = setup();
    let after = false;
    const pid = rt.spawn(async (ctx) => {
      ctx.exit({ shutdown: 'done' });
      after = true;
    });
    expect(await rt.whenExited(pid)).toEqual({ shutdown: 'done' });
    expect(after).toBe(false);
  });

  it('emits process.spawned and process.exited on the event stream', async () => {
    const { rt } = setup();
    const events: WardenEvent[] = [];
    rt.events.onAny((e) => events.push(e));
    const pid = rt.spawn(async () => {}, undefined, { label: 'worker' });
    await rt.whenExited(pid);
    expect(events.map((e) => e.type)).toEqual(['process.spawned', 'process.exited']);
    expect(events[1]).toMatchObject({ pid, reason: 'normal', label: 'worker' });
  });

  it('refuses every operation of a process that has exited (a stale incarnation)', async () => {
    const { rt } = setup();
    let saved: ProcessContext | undefined;
    const target = collector(rt);
    const pid = rt.spawn(async (ctx) => {
      saved = ctx;
      await ctx.receive();
    });
    await settle();
    rt.sendExit(pid, 'kill');
    const ctx = saved as ProcessContext;
    expect(ctx.isAlive).toBe(false);
    expect(() => ctx.send(target.pid, 'late')).toThrow(expect.objectContaining({ code: 'PROCESS_EXITED' }));
    await expect(ctx.call(target.pid, 'x')).rejects.toMatchObject({ code: 'PROCESS_EXITED' });
    expect(() => ctx.spawn(async () => {})).toThrow(expect.objectContaining({ code: 'PROCESS_EXITED' }));
    expect(ctx.signal.aborted).toBe(true);
    await settle();
    expect(target.got).toEqual([]);
  });

  it('rejects a pending receive when the process is killed, so finally blocks run', async () => {
    const { rt } = setup();
    let cleaned = false;
    const pid = rt.spawn(async (ctx) => {
      try {
        await ctx.receive();
      } finally {
        cleaned = true;
      }
    });
    await settle();
    rt.sendExit(pid, 'kill');
    await settle();
    expect(cleaned).toBe(true);
    expect(rt.exitReasonOf(pid)).toBe('killed');
  });
});

describe('messages and receive', () => {
  it('delivers messages from one sender in send order', async () => {
    const { rt } = setup();
    const c = collector(rt);
    for (let i = 0; i < 100; i++) rt.send(c.pid, i);
    await settle();
    expect(c.got).toEqual([...Array(100).keys()]);
  });

  it('receives selectively, leaving unmatched messages queued in order', async () => {
    const { rt } = setup();
    const seen: unknown[] = [];
    const pid = rt.spawn(async (ctx) => {
      seen.push(await ctx.receive((m): m is string => m === 'b'));
      seen.push(await ctx.receive());
      seen.push(await ctx.receive());
    });
    rt.send(pid, 'a');
    rt.send(pid, 'b');
    rt.send(pid, 'c');
    await rt.whenExited(pid);
    expect(seen).toEqual(['b', 'a', 'c']);
  });

  it('resolves undefined when a receive times out, on the virtual clock', async () => {
    const { rt, clock } = setup();
    const results: unknown[] = [];
    const pid = rt.spawn(async (ctx) => {
      results.push(await ctx.receive({ timeoutMs: 1000 }));
      results.push(await ctx.receive({ timeoutMs: 1000 }));
    });
    await clock.advance(999);
    expect(results).toEqual([]);
    await clock.advance(1);
    expect(results).toEqual([undefined]);
    rt.send(pid, 'x');
    await settle();
    expect(results).toEqual([undefined, 'x']);
  });

  it('tryReceive returns a queued message or undefined without waiting', async () => {
    const { rt } = setup();
    const seen: unknown[] = [];
    const pid = rt.spawn(async (ctx) => {
      seen.push(ctx.tryReceive());
      await ctx.receive((m) => m === 'go');
      seen.push(ctx.tryReceive());
    });
    await settle();
    rt.send(pid, 'queued');
    rt.send(pid, 'go');
    await rt.whenExited(pid);
    expect(seen).toEqual([undefined, 'queued']);
  });

  it('is a silent no-op to send to a dead process, and an error to send to an unknown name', async () => {
    const { rt } = setup();
    const pid = rt.spawn(async () => {});
    await rt.whenExited(pid);
    expect(() => rt.send(pid, 'x')).not.toThrow();
    expect(() => rt.send('nobody', 'x')).toThrow(expect.objectContaining({ code: 'NAME_NOT_REGISTERED' }));
    expect(() => rt.send(pid, undefined)).toThrow(expect.objectContaining({ code: 'INVALID_SPEC' }));
  });

  it('keeps per-sender order for any interleaving of two senders (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { maxLength: 60 }), async (pattern) => {
        const { rt } = setup();
        const c = collector(rt);
        const counters = { a: 0, b: 0 };
        for (const fromA of pattern) {
          const key = fromA ? 'a' : 'b';
          rt.send(c.pid, `${key}${counters[key]++}`);
        }
        await settle();
        const a = c.got.filter((m) => String(m).startsWith('a'));
        const b = c.got.filter((m) => String(m).startsWith('b'));
        expect(a).toEqual([...Array(counters.a).keys()].map((i) => `a${i}`));
        expect(b).toEqual([...Array(counters.b).keys()].map((i) => `b${i}`));
      }),
    );
  });
});

describe('links and exit signals', () => {
  it.each<[string, ExitReason, boolean]>([
    ['crash', 'crash', true],
    ['shutdown', 'shutdown', true],
    ['{shutdown, x}', { shutdown: 'x' }, true],
    ['normal', 'normal', false],
  ])('a linked, non-trapping process %s-exit propagates: %s', async (_name, reason, dies) => {
    const { rt } = setup();
    let partner: Pid | undefined;
    const a = rt.spawn(async (ctx) => {
      partner = ctx.spawnLink(hang);
      await ctx.receive();
    });
    await settle();
    rt.sendExit(partner as Pid, reason === 'normal' ? 'kill' : reason);
    if (reason === 'normal') {
      // a normal exit of the partner: spawn another linked one that returns normally
      const b = rt.spawn(async (ctx) => {
        ctx.spawnLink(async () => {});
        await ctx.receive();
      });
      await settle();
      expect(rt.isAlive(b)).toBe(true);
      return;
    }
    await settle();
    expect(rt.isAlive(a)).toBe(!dies);
    expect(rt.exitReasonOf(a)).toEqual(reason);
  });

  it('turns exit signals into EXIT messages for a process that traps exits', async () => {
    const { rt } = setup();
    const got: unknown[] = [];
    let child: Pid | undefined;
    const parent = rt.spawn(
      async (ctx) => {
        child = ctx.spawnLink(async () => {
          throw new Error('bad');
        });
        got.push(await ctx.receive());
      },
      undefined,
      { trapExits: true },
    );
    await rt.whenExited(parent);
    expect(got[0]).toBeInstanceOf(ExitMessage);
    const m = got[0] as ExitMessage;
    expect(m.from).toBe(child);
    expect(m.reason).toBeInstanceOf(Crash);
    expect(rt.exitReasonOf(parent)).toBe('normal');
  });

  it('kills even a trapping process with kill, which then exits killed and signals killed to its links', async () => {
    const { rt } = setup();
    const got: unknown[] = [];
    let victim: Pid | undefined;
    rt.spawn(
      async (ctx) => {
        victim = ctx.spawnLink(async (c) => {
          c.trapExits(true);
          await c.receive(() => false);
        });
        got.push(await ctx.receive());
      },
      undefined,
      { trapExits: true },
    );
    await settle();
    rt.sendExit(victim as Pid, 'kill');
    await settle();
    expect(rt.exitReasonOf(victim as Pid)).toBe('killed');
    expect((got[0] as ExitMessage).reason).toBe('killed');
  });

  it('treats a kill reason arriving over a link as an ordinary, trappable reason', async () => {
    const { rt } = setup();
    const got: unknown[] = [];
    const watcher = rt.spawn(
      async (ctx) => {
        ctx.spawnLink(async (c) => c.exit('kill'));
        got.push(await ctx.receive());
      },
      undefined,
      { trapExits: true },
    );
    await rt.whenExited(watcher);
    expect((got[0] as ExitMessage).reason).toBe('kill');
    expect(rt.exitReasonOf(watcher)).toBe('normal');
  });

  it('ignores a normal exit signal sent to a non-trapping process', async () => {
    const { rt } = setup();
    const pid = rt.spawn(hang);
    await settle();
    rt.sendExit(pid, 'normal');
    await settle();
    expect(rt.isAlive(pid)).toBe(true);
  });

  it('signals noproc when linking to a dead process', async () => {
    const { rt } = setup();
    const dead = rt.spawn(async () => {});
    await rt.whenExited(dead);
    const got: unknown[] = [];
    const pid = rt.spawn(
      async (ctx) => {
        ctx.link(dead);
        got.push(await ctx.receive());
      },
      undefined,
      { trapExits: true },
    );
    await rt.whenExited(pid);
    expect(got[0]).toMatchObject({ type: 'EXIT', reason: 'noproc' });
  });

  it('propagates a crash down a chain of 100,000 linked processes without overflowing the stack', async () => {
    const { rt } = setup();
    let first: Pid | undefined;
    const chain = async (ctx: ProcessContext, n: number): Promise<void> => {
      if (n > 0) ctx.spawnLink(chain, n - 1);
      await ctx.receive(() => false);
    };
    first = rt.spawn(chain, 100_000);
    for (let i = 0; i < 100_001 && rt.processCount < 100_001; i++) await settle();
    expect(rt.processCount).toBe(100_001);
    rt.sendExit(first, 'boom');
    expect(rt.processCount).toBe(0);
  });
});

describe('monitors', () => {
  it('delivers DOWN with the exit reason, and noproc for a process already gone', async () => {
    const { rt } = setup();
    const dead = rt.spawn(async () => {});
    await rt.whenExited(dead);
    const target = rt.spawn(hang);
    const got: DownMessage[] = [];
    const refs: number[] = [];
    const watcher = rt.spawn(async (ctx) => {
      refs.push(ctx.monitor(target), ctx.monitor(dead));
      got.push(await ctx.receive(), await ctx.receive());
    });
    await settle();
    rt.sendExit(target, 'bye');
    await rt.whenExited(watcher);
    expect(got.map((d) => [d.ref, d.reason])).toEqual([
      [refs[1], 'noproc'],
      [refs[0], 'bye'],
    ]);
    expect(got[1]?.pid).toBe(target);
  });

  it('demonitor with flush removes a DOWN already queued', async () => {
    const { rt } = setup();
    const target = rt.spawn(async () => {});
    const seen: unknown[] = [];
    const pid = rt.spawn(async (ctx) => {
      const ref = ctx.monitor(target);
      await ctx.receive((m) => m === 'go');
      ctx.demonitor(ref, { flush: true });
      seen.push(ctx.tryReceive());
    });
    await settle();
    await rt.whenExited(target);
    rt.send(pid, 'go');
    await rt.whenExited(pid);
    expect(seen).toEqual([undefined]);
  });
});

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
    const d = rt
      .sendWait(pid, 'd', { timeoutMs: 5 })
      .catch((e: unknown) => order.push(`d:${isWardenError(e, 'MAILBOX_FULL')}@${clock.now()}`));
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

describe('call and cast', () => {
  const echo = async (ctx: ProcessContext): Promise<void> => {
    for (;;) {
      const m = await ctx.receive();
      if (isCall(m)) ctx.reply(m.from, { echo: m.request });
    }
  };

  it('returns the reply', async () => {
    const { rt } = setup();
    const pid = rt.spawn(echo);
    expect(await rt.call(pid, 42)).toEqual({ echo: 42 });
  });

  it('fails with CallTimeoutError after timeoutMs and drops the late reply', async () => {
    const { rt, clock } = setup();
    const held: Array<() => void> = [];
    const pid = rt.spawn(async (ctx) => {
      for (;;) {
        const m = await ctx.receive();
        if (isCall(m)) held.push(() => ctx.reply(m.from, 'late'));
      }
    });
    const p = rt.call(pid, 'q', { timeoutMs: 100 });
    const outcome = p.then(
      () => 'resolved',
      (e: unknown) => (isWardenError(e, 'CALL_TIMEOUT') ? 'timeout' : 'other'),
    );
    await clock.advance(100);
    expect(await outcome).toBe('timeout');
    held[0]?.();
    await settle();
  });

  it('fails with CallTargetExitedError carrying the reason when the target dies, and noproc for a dead target', async () => {
    const { rt } = setup();
    const pid = rt.spawn(async (ctx) => {
      await ctx.receive();
      throw new Error('died');
    });
    const err = await rt.call(pid, 'q').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallTargetExitedError);
    expect((err as CallTargetExitedError).reason).toBeInstanceOf(Crash);
    const again = await rt.call(pid, 'q').catch((e: unknown) => e);
    expect(again).toMatchObject({ code: 'CALL_TARGET_EXITED', reason: 'noproc' });
    await expect(rt.call('nobody', 'q')).rejects.toMatchObject({ reason: 'noproc' });
  });

  it('calls between processes and by registered name', async () => {
    const { rt } = setup();
    rt.spawn(echo, undefined, { name: 'echo' });
    const results: unknown[] = [];
    const pid = rt.spawn(async (ctx) => {
      results.push(await ctx.call('echo', 'hi'));
    });
    await rt.whenExited(pid);
    expect(results).toEqual([{ echo: 'hi' }]);
  });
});

describe('registry and topics', () => {
  it('registers one name per process, refuses a taken name, and releases it on exit', async () => {
    const { rt } = setup();
    const a = rt.spawn(hang, undefined, { name: 'svc' });
    expect(rt.whereis('svc')).toBe(a);
    expect(() => rt.spawn(hang, undefined, { name: 'svc' })).toThrow(NameTakenError);
    rt.sendExit(a, 'kill');
    expect(rt.whereis('svc')).toBeUndefined();
    const b = rt.spawn(hang, undefined, { name: 'svc' });
    expect(rt.whereis('svc')).toBe(b);
  });

  it('publishes to every live subscriber and forgets subscribers that exit', async () => {
    const { rt } = setup();
    const c1 = collector(rt);
    const c2 = collector(rt);
    await settle();
    rt.subscribe('news', c1.pid);
    rt.subscribe('news', c2.pid);
    expect(rt.publish('news', 'one')).toBe(2);
    await settle();
    rt.sendExit(c2.pid, 'kill');
    expect(rt.publish('news', 'two')).toBe(1);
    await settle();
    expect(c1.got).toEqual(['one', 'two']);
    expect(c2.got).toEqual(['one']);
  });
});

describe('listeners', () => {
  it('reports a throwing listener as event.listener_failed and keeps delivering', async () => {
    const { rt } = setup();
    const failures: unknown[] = [];
    const seen: string[] = [];
    rt.events.on('process.spawned', () => {
      throw new Error('listener bug');
    });
    rt.events.on('process.spawned', (e) => seen.push(e.type));
    rt.events.on('event.listener_failed', (e) => failures.push(e.eventType));
    rt.spawn(async () => {});
    expect(seen).toEqual(['process.spawned']);
    expect(failures).toEqual(['process.spawned']);
  });
});
