/** Docs prelude: the reader's own process bodies that the supervision examples start. */
declare function searchAgent(ctx: import('warden').ProcessContext): Promise<void>;
declare function extractAgent(ctx: import('warden').ProcessContext): Promise<void>;
declare function runTool(ctx: import('warden').ProcessContext, call: { name: string; args: unknown }): Promise<void>;
declare function planner(ctx: import('warden').ProcessContext): Promise<void>;
export {};
