/**
 * What the demo's simulated model answers, and which faults its chaos proxy injects.
 *
 * The script plays three agents, told apart by their system prompts, step by step (the last
 * tool result says where each one is). It includes the mistakes real models make: the search
 * agent calls a tool that does not exist once (`web_serch`), and the extract agent writes
 * broken JSON once. Both providers' wire formats get the same answers, so a fallback from one
 * to the other carries on the same conversation.
 *
 * The chaos rules, seeded, are a pure function of the request sequence (which the pipeline keeps
 * sequential): a 429 with Retry-After on the first call, a burst of 529s on the OpenAI endpoint
 * (its breaker opens; calls fall back to the Anthropic endpoint), a 503, latency, and the final
 * answer's stream cut midway (resumed from the text received).
 */
import type { ChaosRule, SimScript } from '../../sim/index.ts';
import { PAGES } from './corpus.ts';

export const QUESTION = 'How do supervision trees keep AI agents running when model providers and tools fail?';

const url = (id: string): string => `https://docs.example/${id}`;
const title = (id: string): string => PAGES.find((p) => p.id === id)?.title ?? id;

export const FIRST_QUERY = 'supervision trees restart crashed AI agents';
export const SECOND_QUERY = 'circuit breaker model provider outage';

export const ANSWER =
  'Supervision trees keep AI agents running by moving recovery out of the agent. Each agent is a supervised process: ' +
  'when it crashes, on a hallucinated tool, malformed output or a provider that stays down, its supervisor restarts it ' +
  'from a known good state, within a restart limit, and escalates when the limit is passed [otp-supervisors] [let-it-crash]. ' +
  'Provider failures are absorbed below the agent: retries honour Retry-After, a circuit breaker stops calling an ' +
  'overloaded provider and fallback moves to a second one, so the agent answers at a degraded level instead of failing ' +
  '[circuit-breakers]. And because every model call is journaled, a restarted agent replays what it already paid for ' +
  'instead of paying again [durable-journal].';

const SOURCES = ['otp-supervisors', 'let-it-crash', 'circuit-breakers', 'durable-journal'];

const FACTS = [
  { source: url('otp-supervisors'), fact: 'A supervisor restarts crashed children within a restart limit and escalates past it.' },
  { source: url('let-it-crash'), fact: 'An agent should end a bad run with a clear reason and let its supervisor restart it.' },
  { source: url('circuit-breakers'), fact: 'A circuit breaker stops calls to a failing provider; fallback answers at a degraded level.' },
  { source: url('durable-journal'), fact: 'Journaled model calls are replayed after a crash, not paid for again.' },
];

export const SEARCH_SYSTEM =
  'You are the search agent of a research pipeline. Use web_search (two different queries) to find sources for the ' +
  'question, then answer with the four best sources as JSON.';
export const EXTRACT_SYSTEM =
  'You are the extract agent of a research pipeline. Read every source with fetch_page and answer with one key fact per ' + 'source as JSON.';
export const SYNTHESIZE_SYSTEM =
  'You are the synthesize agent of a research pipeline. Check the two most important sources with cite_source, then write ' +
  'the answer to the question in one paragraph, citing sources by their id in brackets.';

export function demoScript(): SimScript {
  return {
    rules: [
      // The summaries a compaction asks for.
      {
        name: 'summary',
        match: { system: 'You summarise the earlier part' },
        reply: { text: 'Read so far: otp-supervisors (a supervisor restarts crashed children within a restart limit and escalates past it).' },
      },
      // search
      {
        name: 'search: sources',
        match: { system: 'search agent', toolResult: `"query":"${SECOND_QUERY}"` },
        reply: { json: { sources: SOURCES.map((id) => ({ url: url(id), title: title(id) })) } },
      },
      {
        name: 'search: hallucinated tool',
        match: { system: 'search agent', toolResult: `"query":"${FIRST_QUERY}"` },
        times: 1,
        reply: { toolCalls: [{ name: 'web_serch', arguments: { q: SECOND_QUERY } }] },
      },
      {
        name: 'search: second query',
        match: { system: 'search agent', toolResult: `"query":"${FIRST_QUERY}"` },
        reply: { toolCalls: [{ name: 'web_search', arguments: { q: SECOND_QUERY } }] },
      },
      { name: 'search: first query', match: { system: 'search agent' }, reply: { toolCalls: [{ name: 'web_search', arguments: { q: FIRST_QUERY } }] } },
      // extract
      {
        name: 'extract: facts, asked again',
        match: { system: 'extract agent', lastUser: 'does not match the required output' },
        reply: { json: { facts: FACTS } },
      },
      {
        name: 'extract: broken JSON',
        match: { system: 'extract agent', toolResult: '[doc:durable-journal]' },
        reply: { text: `{"facts": [{"source": "${url('otp-supervisors')}", "fact": "A supervisor restarts crashed children"` },
      },
      {
        name: 'extract: read 3 and 4',
        match: { system: 'extract agent', toolResult: '[doc:let-it-crash]' },
        reply: {
          toolCalls: [
            { name: 'fetch_page', arguments: { url: url('circuit-breakers') } },
            { name: 'fetch_page', arguments: { url: url('durable-journal') } },
          ],
        },
      },
      {
        name: 'extract: read 2',
        match: { system: 'extract agent', toolResult: '[doc:otp-supervisors]' },
        reply: { toolCalls: [{ name: 'fetch_page', arguments: { url: url('let-it-crash') } }] },
      },
      {
        name: 'extract: read 1',
        match: { system: 'extract agent' },
        reply: { toolCalls: [{ name: 'fetch_page', arguments: { url: url('otp-supervisors') } }] },
      },
      // synthesize
      { name: 'synthesize: answer', match: { system: 'synthesize agent', toolResult: 'cite-ok:circuit-breakers' }, reply: { text: ANSWER } },
      {
        name: 'synthesize: cite 2',
        match: { system: 'synthesize agent', toolResult: 'cite-ok:otp-supervisors' },
        reply: { toolCalls: [{ name: 'cite_source', arguments: { url: url('circuit-breakers') } }] },
      },
      {
        name: 'synthesize: cite 1',
        match: { system: 'synthesize agent' },
        reply: { toolCalls: [{ name: 'cite_source', arguments: { url: url('otp-supervisors') } }] },
      },
    ],
  };
}

export function demoChaos(): ChaosRule[] {
  return [
    { name: '429 with Retry-After', times: 1, fault: { kind: 'rate_limit', retryAfterSeconds: 1 } },
    { name: '529 burst on openai', match: { path: '/v1/chat/completions' }, after: 5, times: 3, fault: { kind: 'overloaded' } },
    { name: '503 on anthropic', match: { path: '/v1/messages' }, after: 2, times: 1, fault: { kind: 'status', status: 503 } },
    { name: 'stream cut midway', match: { body: 'cite-ok:circuit-breakers' }, times: 1, fault: { kind: 'cut_stream', afterEvents: 12 } },
    { name: 'latency', probability: 0.3, fault: { kind: 'latency', ms: 40 } },
  ];
}
