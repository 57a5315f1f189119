/** Docs prelude: what the health examples take from earlier: a model client and an agent. */
declare const model: import('warden/llm').ResilientModelClient;
declare const researcher: import('warden/agent').Agent;
export {};
