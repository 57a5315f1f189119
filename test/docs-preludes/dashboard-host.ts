/** Docs prelude: a host's store, runtime and root supervisor, and its health and alert history. */
declare const store: import('warden/store').Store;
declare const rt: import('warden/runtime').Runtime;
declare const root: import('warden/runtime').Pid;
declare const health: import('warden/health').Health;
declare const history: import('warden/alerts').AlertHistory;
