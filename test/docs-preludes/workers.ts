/** Docs prelude: the reader's worker bodies, a long-running fetch loop and a one-off job. */
declare function fetchLoop(ctx: import('warden/runtime').ProcessContext): Promise<void>;
declare function runJob(ctx: import('warden/runtime').ProcessContext, job: unknown): Promise<void>;
export {};
