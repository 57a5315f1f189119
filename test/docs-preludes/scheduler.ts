/** Docs prelude: what the scheduler examples take from earlier: a runtime, a store, a durable host and a schedule. */
import { startSupervisor } from 'warden/supervisor';
import { openSchedules, schedulerChild } from 'warden/scheduler';
declare const rt: import('warden/runtime').Runtime;
declare const store: import('warden/store').Store;
declare const host: import('warden/durable').DurableHost;
declare const nightly: import('warden/scheduler').Schedule;
export {};
