/**
 * Warden: Erlang/OTP-grade fault tolerance for AI agents. The root entry re-exports every
 * layer's public surface; each layer is also importable on its own (`warden/runtime`,
 * `warden/supervisor`, ...).
 */
export * from './runtime/index.ts';
export * from './supervisor/index.ts';
export * from './isolation/index.ts';
export * from './resilience/index.ts';
export * from './llm/index.ts';
export * from './agent/index.ts';
