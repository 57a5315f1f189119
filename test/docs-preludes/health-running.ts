/** Docs prelude: a runtime and the health started on it earlier on the page. */
declare const runtime: import('warden/runtime').Runtime;
declare const health: import('warden/health').Health;
export {};
