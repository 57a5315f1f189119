/**
 * The health as a supervised child: `healthChild(options)` is a `ChildStart` whose process
 * starts the health on its supervisor's runtime, answers `'report'` calls with the report, and
 * stops the health (probes, monitors, admin port) when it is shut down. A crash of the health
 * process is restarted like any child's; the restarted health begins its figures afresh.
 *
 * The options are checked when the child spec is built, so a bad one fails the tree's spec
 * before anything starts. Mind one ordering: a health child whose probe is restarting a
 * sibling while its own supervisor shuts it down waits for that call until the child's shutdown
 * timeout, then is killed (the supervisor is busy shutting it down); the shutdown spec bounds it.
 *
 * @example
 * ```ts
 * const root = await startSupervisor(rt, {
 *   children: [{ id: 'health', start: healthChild({ readiness: [{ kind: 'store', store }], admin: { port: 9464 } }) }],
 * });
 * const pid = (await whichChildren(rt, root)).find((c) => c.id === 'health')?.pid as Pid;
 * const report = await rt.call<HealthReport>(pid, 'report');
 * ```
 */
import { reply } from '../runtime/index.ts';
import { server, type ChildStart } from '../supervisor/index.ts';
import { startHealth, type Health } from './health.ts';
import { checkHealthChildOptions, type HealthOptions } from './options.ts';

/** A health that runs as a supervised child (`{ id: 'health', start: healthChild(options) }`). */
export function healthChild(options: Omit<HealthOptions, 'runtime'>): ChildStart {
  checkHealthChildOptions(options);
  return server<Health, undefined>(
    {
      trapExits: true,
      init: (ctx) => startHealth({ ...options, runtime: ctx.runtime }),
      handleCall: async (request, _from, health) => {
        if (request === 'report') return reply(await health.report({ fresh: true }), health);
        return reply({ error: `unknown request ${JSON.stringify(request)}; the health answers 'report'` }, health);
      },
      terminate: (_reason, health) => health.stop(),
    },
    undefined,
    { label: `health:${options.name ?? 'health'}` },
  );
}
