// The page's access to the dashboard's JSON API and its change stream. The access token
// travels in the HttpOnly cookie the server set when the page was opened with ?token=, so no
// script here ever holds it; the token is taken out of the address bar once the page loads.
import { useEffect, useState } from 'preact/hooks';

const changes = new EventTarget();
let connected = false;
const connection = new EventTarget();

/** Open the change stream: the server names the views whose data changed. */
export function connectChanges() {
  const source = new EventSource('/api/events');
  source.addEventListener('ready', () => {
    connected = true;
    connection.dispatchEvent(new Event('change'));
  });
  source.addEventListener('change', (e) => {
    const { topics } = JSON.parse(e.data);
    changes.dispatchEvent(new CustomEvent('topics', { detail: topics }));
  });
  source.addEventListener('error', () => {
    connected = false;
    connection.dispatchEvent(new Event('change'));
  });
}

/** Whether the change stream is open. */
export function useConnected() {
  const [on, setOn] = useState(connected);
  useEffect(() => {
    const update = () => setOn(connected);
    connection.addEventListener('change', update);
    return () => connection.removeEventListener('change', update);
  }, []);
  return on;
}

async function request(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json();
  if (!response.ok) throw new Error(data?.error?.message ?? `${response.status} ${response.statusText}`);
  return data;
}

export const get = (path) => request('GET', path);
export const post = (path, body) => request('POST', path, body);

/**
 * The JSON at `path`, fetched now and again whenever the server says one of `topics` changed.
 * Answers `{ data, error, loading }`.
 */
export function useResource(path, topics) {
  const [state, setState] = useState({ data: undefined, error: undefined, loading: true });
  useEffect(() => {
    let current = true;
    const load = () =>
      get(path).then(
        (data) => current && setState({ data, error: undefined, loading: false }),
        (error) => current && setState((s) => ({ data: s.data, error: error.message, loading: false })),
      );
    load();
    const onTopics = (e) => {
      if (e.detail.some((t) => topics.includes(t))) load();
    };
    changes.addEventListener('topics', onTopics);
    return () => {
      current = false;
      changes.removeEventListener('topics', onTopics);
    };
  }, [path, topics.join(',')]);
  return state;
}
