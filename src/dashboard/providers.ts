/**
 * The views other layers supply to the dashboard, read from the store by the layer that owns
 * them: schedules and their newest slots (the scheduler's tables). A health report and alerts live
 * in each host's process, so they reach the dashboard through the snapshots hosts publish
 * (`publishHostSnapshots({ health, alerts })`), not through a provider here. Each layer is
 * imported when its view is first read, so `warden dashboard` loads only what a page asks for.
 */
import type { DashboardProviders } from './options.ts';

/** How many of the newest slots the schedules view lists. */
const SLOTS_SHOWN = 100;

/** The providers this installation has: the scheduler's schedules and slots. */
export async function dashboardProviders(): Promise<DashboardProviders> {
  return {
    async schedules(store) {
      const { openSchedules } = await import('../scheduler/index.ts');
      const schedules = await openSchedules(store);
      const [list, slots] = await Promise.all([schedules.list(), schedules.slots({ limit: SLOTS_SHOWN })]);
      return JSON.parse(JSON.stringify({ schedules: list, slots }));
    },
  };
}
