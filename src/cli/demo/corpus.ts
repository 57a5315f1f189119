/**
 * The demo's small offline "web": six short pages the research pipeline's tools search and
 * read, so the demo needs no network. `search` ranks pages by the words a query shares with
 * their title and text (enough for a real model in `--real` mode to find its way too).
 */

export interface Page {
  readonly id: string;
  readonly url: string;
  readonly title: string;
  readonly text: string;
}

const page = (id: string, title: string, text: string): Page => ({ id, url: `https://docs.example/${id}`, title, text: `[doc:${id}] ${text}` });

export const PAGES: readonly Page[] = [
  page(
    'otp-supervisors',
    'Supervisors in OTP',
    'A supervisor is a process whose only job is to start other processes and restart them when they end abnormally. ' +
      'Children are started in order and stopped in reverse order. A restart intensity (for example 3 restarts in 5 seconds) ' +
      'bounds how often a supervisor tries: past it, the supervisor gives up and its own supervisor decides, so a failure ' +
      'climbs the tree until some level can handle it. Because recovery lives in the supervisor, the worker code stays simple.',
  ),
  page(
    'let-it-crash',
    'Let it crash',
    'Defensive code that catches every error and carries on tends to hide the state that caused the error. The Erlang way is ' +
      'to let the process crash and start again from a known good state. For an AI agent this means: do not retry a ' +
      'hallucinated tool call inside the agent loop; end the run with a clear reason and let the supervisor restart it, ' +
      'with a limit on how often. A crash is cheap when the state worth keeping is journaled elsewhere.',
  ),
  page(
    'circuit-breakers',
    'Circuit breakers for model providers',
    'When a model provider answers 529 overloaded or 503 again and again, more retries only add load. A circuit breaker counts ' +
      'failures and opens after a threshold: calls are refused at once for an open period, then a single probe is let ' +
      'through, and a success closes the breaker again. Combined with fallback to a second provider, an agent keeps ' +
      'answering at a degraded level instead of failing, and every answer says which level it came from.',
  ),
  page(
    'durable-journal',
    'Durable journals and replay',
    'A durable run writes the result of every step, including each model call, to a journal before it moves on. After a crash ' +
      'or a kill -9 the run is resumed: completed steps are read back from the journal instead of being executed again, so a ' +
      'paid model call is never paid twice, and side effects carry idempotency keys so they happen at most once.',
  ),
  page(
    'budgets',
    'Budgets that stop runaway agents',
    'An agent stuck in a loop does not crash; it spends. A budget caps cost, tokens, steps and wall time per run, per agent and ' +
      'globally. Each call reserves its estimate first and is refused before it is sent when the cap would be passed, so the ' +
      'overshoot is at most one call. Loop detection stops an agent that asks for the same tool call again and again.',
  ),
  page(
    'rest-for-one',
    'Restart strategies for pipelines',
    'one_for_one restarts only the child that failed; one_for_all restarts every child; rest_for_one restarts the failed child ' +
      'and every child started after it. For a pipeline such as search, extract, synthesize, rest_for_one fits: when search ' +
      'fails, what extract and synthesize were waiting for is gone, so they start again too, while a failure in the last stage ' +
      'restarts only that stage.',
  ),
];

/** The pages sharing the most words with `query` (at most `limit`, best first). */
export function search(query: string, limit = 3): { title: string; url: string; snippet: string }[] {
  const words = new Set(
    query
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((w) => w.length > 2),
  );
  return PAGES.map((p) => {
    const text = `${p.title} ${p.text}`.toLowerCase();
    let score = 0;
    for (const w of words) if (text.includes(w)) score += p.title.toLowerCase().includes(w) ? 3 : 1;
    return { p, score };
  })
    .filter((x) => x.score > 0)
    .sort((a, b) => b.score - a.score || a.p.id.localeCompare(b.p.id))
    .slice(0, limit)
    .map(({ p }) => ({ title: p.title, url: p.url, snippet: `${p.text.slice(p.id.length + 7, p.id.length + 97)}…` }));
}

export function pageAt(url: string): Page | undefined {
  return PAGES.find((p) => p.url === url || p.id === url);
}
