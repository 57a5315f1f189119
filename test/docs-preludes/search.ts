/** Docs prelude: the reader's web search, which the agent examples offer as a tool. */
declare function search(q: string, options?: { signal?: AbortSignal }): Promise<{ title: string; url: string }[]>;
export {};
