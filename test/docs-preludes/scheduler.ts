/** Docs prelude: what the scheduler examples take from earlier: a runtime, a store, a durable host and a schedule. */
declare const startSupervisor: typeof import('warden/supervisor').startSupervisor;
declare const openSchedules: typeof import('warden/scheduler').openSchedules;
declare const schedulerChild: typeof import('warden/scheduler').schedulerChild;
declare const rt: import('warden/runtime').Runtime;
declare const store: import('warden/store').Store;
declare const host: import('warden/durable').DurableHost;
declare const nightly: import('warden/scheduler').Schedule;
export {};
