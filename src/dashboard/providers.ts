/**
 * The views other layers supply to the dashboard (schedules, a health report, alerts), found at
 * start: each is read from the store by the layer that owns it. A layer that is not there
 * leaves its view marked unavailable on the page.
 */
import type { DashboardProviders } from './options.ts';

/** The providers this installation has. */
export async function dashboardProviders(): Promise<DashboardProviders> {
  return {};
}
