// The dashboard page: a nav over the views, routed by the address's hash (#/runs/<id>, ...),
// every view live through the change stream (api.js). No build step: preact and htm as ES
// modules through the page's import map.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { connectChanges, useConnected } from './api.js';
import { html } from './html.js';
import { RunView, RunsView } from './runs.js';
import { ApprovalsView, DeadLetterView, DeadLettersView, HealthView, HostsView, ProvidedView, QuarantineView } from './views.js';

const NAV = [
  ['hosts', 'Hosts'],
  ['runs', 'Runs'],
  ['dlq', 'Dead letters'],
  ['approvals', 'Approvals'],
  ['quarantine', 'Quarantine'],
  ['schedules', 'Schedules'],
  ['health', 'Health'],
  ['alerts', 'Alerts'],
];

function useRoute() {
  const read = () => (location.hash.replace(/^#\/?/, '') || 'hosts').split('/').map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onHash = () => setRoute(read());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  return route;
}

function View({ route }) {
  const [view, id] = route;
  switch (view) {
    case 'runs':
      return id === undefined ? html`<${RunsView} />` : html`<${RunView} id=${id} key=${id} />`;
    case 'dlq':
      return id === undefined ? html`<${DeadLettersView} />` : html`<${DeadLetterView} id=${id} key=${id} />`;
    case 'approvals':
      return html`<${ApprovalsView} />`;
    case 'quarantine':
      return html`<${QuarantineView} />`;
    case 'schedules':
      return html`<${ProvidedView} name="schedules" title="Schedules" />`;
    case 'alerts':
      return html`<${ProvidedView} name="alerts" title="Alerts" topics=${['alerts', 'hosts']} />`;
    case 'health':
      return html`<${HealthView} />`;
    default:
      return html`<${HostsView} />`;
  }
}

function App() {
  const route = useRoute();
  const live = useConnected();
  return html`
    <header>
      <h1>Warden</h1>
      <nav>${NAV.map(([path, label]) => html`<a href=${`#/${path}`} class=${route[0] === path ? 'current' : ''} data-testid=${`nav-${path}`}>${label}</a>`)}</nav>
      <span class=${`live ${live ? 'on' : 'off'}`} data-testid="live" title="updates arrive as they happen">${live ? 'live' : 'reconnecting…'}</span>
    </header>
    <${View} route=${route} />`;
}

if (new URLSearchParams(location.search).has('token')) history.replaceState(null, '', `/${location.hash}`);
connectChanges();
const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
