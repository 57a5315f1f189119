// The dashboard's views, one component each: hosts (supervision trees, breakers, budgets, the
// restarts and spend plots), dead letters (inspect, replay, discard), approvals (approve, deny),
// quarantine, and the views other layers supply (schedules, health, alerts).
import { useState } from 'preact/hooks';
import { post, useResource } from './api.js';
import { html } from './html.js';
import { SamplePlots } from './plots.js';

export const time = (ms) => (ms === undefined || ms === null ? '' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19));

export function Json({ value }) {
  if (value === undefined) return html`<span class="muted">nothing</span>`;
  const text = JSON.stringify(value, null, 1);
  return text.length > 120 || text.includes('\n') ? html`<pre class="json">${JSON.stringify(value, null, 2)}</pre>` : html`<code>${text}</code>`;
}

export function ErrorLine({ error }) {
  return error === undefined ? null : html`<p class="error" role="alert">${error}</p>`;
}

// ---- hosts ---------------------------------------------------------------------------------

function TreeNode({ node }) {
  const state = node.pid === null ? 'stopped' : node.pid === 'restarting' ? 'restarting' : 'running';
  return html`<li>
    <span class=${`node ${node.type} ${state}`} data-testid=${`node-${node.id}`}>
      <b>${node.id}</b> <span class="muted">${node.type}</span> ${node.pid ?? 'not running'}
      ${node.restarts > 0 ? html` <span class="badge" data-testid=${`restarts-${node.id}`}>restarts: ${node.restarts}</span>` : null}
    </span>
    ${node.children.length === 0 ? null : html`<ul>${node.children.map((c) => html`<${TreeNode} node=${c} />`)}</ul>`}
  </li>`;
}

function breakerText(state) {
  if (state.kind === 'open') return `open until ${time(state.openUntil)} (opening ${state.openings})`;
  if (state.kind === 'half_open') return `half open (${state.inFlight} probing)`;
  return `${state.kind} since ${time(state.since)}`;
}

function Host({ host }) {
  return html`<article class=${`host ${host.stale ? 'stale' : ''}`} data-testid=${`host-${host.host}`}>
    <h3>${host.host} ${host.stopped ? html`<span class="badge">stopped</span>` : host.stale ? html`<span class="badge warn">stale: no snapshot since ${time(host.publishedAt)}</span>` : null}</h3>
    <p class="muted">published ${time(host.publishedAt)} · every ${host.intervalMs} ms · ${host.restarts.total} restarts since ${time(host.startedAt)}</p>
    <div class="columns">
      <div>
        <h4>Supervision trees</h4>
        ${host.trees.length === 0 ? html`<p class="muted">none published</p>` : host.trees.map((t) => html`<ul class="tree"><${TreeNode} node=${t.root} /></ul>`)}
        ${
          host.restarts.recent.length === 0
            ? null
            : html`<h4>Recent restarts</h4><ul class="plain">${host.restarts.recent.map((r) => html`<li>${time(r.at)} ${r.supervisor} / ${r.childId}</li>`)}</ul>`
        }
      </div>
      <div>
        <h4>Breakers</h4>
        ${
          host.breakers.length === 0
            ? html`<p class="muted">none published</p>`
            : html`<table data-testid="breakers"><tbody>${host.breakers.map(
                (b) => html`<tr><td>${b.name}</td><td><span class=${`status ${b.state.kind}`}>${breakerText(b.state)}</span></td></tr>`,
              )}</tbody></table>`
        }
        <h4>Budgets</h4>
        ${
          host.budgets.length === 0
            ? html`<p class="muted">none published</p>`
            : html`<table data-testid="budgets"><thead><tr><th>Scope</th><th>USD</th><th>Tokens</th><th>Steps</th></tr></thead><tbody>${host.budgets.map(
                (b) => html`<tr><td>${b.scope}</td>
                  <td>${b.spent.usd.toFixed(4)}${b.limits.usd === undefined ? '' : ` / ${b.limits.usd}`}</td>
                  <td>${b.spent.tokens}${b.limits.tokens === undefined ? '' : ` / ${b.limits.tokens}`}</td>
                  <td>${b.spent.steps}${b.limits.steps === undefined ? '' : ` / ${b.limits.steps}`}</td></tr>`,
              )}</tbody></table>`
        }
        ${host.health === undefined ? null : html`<h4>Health</h4><${Json} value=${host.health} />`}
      </div>
    </div>
  </article>`;
}

export function HostsView() {
  const hosts = useResource('/api/hosts', ['hosts']);
  const samples = useResource('/api/samples', ['hosts']);
  return html`<section>
    <h2>Hosts</h2>
    <${ErrorLine} error=${hosts.error} />
    ${samples.data === undefined ? null : html`<${SamplePlots} samples=${samples.data} />`}
    ${
      hosts.data === undefined
        ? null
        : hosts.data.length === 0
          ? html`<p class="muted">No host has published a snapshot to this store (see publishHostSnapshots).</p>`
          : hosts.data.map((h) => html`<${Host} host=${h} />`)
    }
  </section>`;
}

// ---- dead letters --------------------------------------------------------------------------

const LETTER_STATUSES = ['pending', 'replay_requested', 'replayed', 'discarded'];

export function DeadLettersView() {
  const [status, setStatus] = useState('pending');
  const { data, error } = useResource(`/api/dlq?status=${status}`, ['dlq']);
  return html`<section>
    <h2>Dead letters</h2>
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <label>Status <select data-testid="dlq-status" value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
        ${LETTER_STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
      </select></label>
    </form>
    <${ErrorLine} error=${error} />
    ${
      data === undefined
        ? null
        : data.length === 0
          ? html`<p class="muted">No ${status} dead letters.</p>`
          : html`<table data-testid="dlq-table"><thead><tr><th>Letter</th><th>Source</th><th>Created</th><th>Attempts</th><th>Error</th></tr></thead>
            <tbody>${data.map(
              (l) => html`<tr><td><a href=${`#/dlq/${encodeURIComponent(l.id)}`} data-testid="dlq-link">${l.id}</a></td><td>${l.source}</td><td>${time(l.createdAt)}</td>
                <td>${l.attempts.length}</td><td class="error">${l.error.message}</td></tr>`,
            )}</tbody></table>`
    }
  </section>`;
}

export function DeadLetterView({ id }) {
  const { data, error } = useResource(`/api/dlq/${encodeURIComponent(id)}`, ['dlq', 'runs']);
  const [input, setInput] = useState('');
  const [by, setBy] = useState('');
  const [reason, setReason] = useState('');
  const [outcome, setOutcome] = useState(undefined);
  const act = (what, body) =>
    post(`/api/dlq/${encodeURIComponent(id)}/${what}`, body).then(
      (l) => setOutcome({ ok: `${what === 'replay' ? 'replay requested' : 'discarded'}: the letter is now ${l.status}` }),
      (e) => setOutcome({ error: e.message }),
    );
  const replay = () => {
    if (input.trim() === '') return act('replay', {});
    let parsed;
    try {
      parsed = JSON.parse(input);
    } catch (e) {
      return setOutcome({ error: `the edited input is not JSON: ${e.message}` });
    }
    return act('replay', { input: parsed });
  };
  if (data === undefined) return html`<section><h2>Dead letter ${id}</h2><${ErrorLine} error=${error} /></section>`;
  const { letter, audit } = data;
  const open = letter.status === 'pending' || letter.status === 'replay_requested';
  return html`<section data-testid="dlq-detail">
    <p><a href="#/dlq">← all dead letters</a></p>
    <h2>Dead letter ${letter.id}</h2>
    <dl class="facts">
      <dt>Source</dt><dd>${letter.source}${letter.runId === undefined ? '' : html` (run <a href=${`#/runs/${letter.runId}`}>${letter.runId}</a>)`}</dd>
      <dt>Status</dt><dd><span class="status" data-testid="dlq-letter-status">${letter.status}</span>${letter.replayedAs === undefined ? '' : html` as run <a href=${`#/runs/${letter.replayedAs}`}>${letter.replayedAs}</a>`}</dd>
      <dt>Trace id</dt><dd><code>${letter.traceId}</code></dd>
      <dt>Input</dt><dd><${Json} value=${letter.input} /></dd>
      ${letter.replayInput === undefined ? null : html`<dt>Replay input</dt><dd><${Json} value=${letter.replayInput} /></dd>`}
      <dt>Error</dt><dd class="error">${letter.error.name}${letter.error.code === undefined ? '' : ` [${letter.error.code}]`}: ${letter.error.message}</dd>
    </dl>
    <h3>Attempts (${letter.attempts.length})</h3>
    <ul class="plain">${letter.attempts.map((a) => html`<li>#${a.attempt} ${time(a.at)} ${a.error.name}: ${a.error.message}</li>`)}</ul>
    ${
      open
        ? html`<div class="actions">
            <h3>Replay</h3>
            <p class="muted">A host serving "${letter.source}" starts the replay on its next poll. Leave the input empty to replay with the same input.</p>
            <textarea data-testid="replay-input" placeholder=${JSON.stringify(letter.input)} value=${input} onInput=${(e) => setInput(e.currentTarget.value)}></textarea>
            <button data-testid="replay" onClick=${replay}>Replay</button>
            <h3>Discard</h3>
            <input data-testid="discard-by" placeholder="who (default dashboard)" value=${by} onInput=${(e) => setBy(e.currentTarget.value)} />
            <input data-testid="discard-reason" placeholder="why" value=${reason} onInput=${(e) => setReason(e.currentTarget.value)} />
            <button class="danger" data-testid="discard" onClick=${() => act('discard', { ...(by.trim() === '' ? {} : { by }), ...(reason.trim() === '' ? {} : { reason }) })}>Discard</button>
          </div>`
        : null
    }
    ${outcome === undefined ? null : outcome.error === undefined ? html`<p class="ok" role="status">${outcome.ok}</p>` : html`<${ErrorLine} error=${outcome.error} />`}
    ${audit.length === 0 ? null : html`<h3>Audit</h3><ul class="plain">${audit.map((a) => html`<li>${time(a.at)} ${a.actor} ${a.action}${a.reason === undefined ? '' : `: ${a.reason}`}</li>`)}</ul>`}
  </section>`;
}

// ---- approvals -----------------------------------------------------------------------------

function Decide({ approval }) {
  const [by, setBy] = useState('');
  const [reason, setReason] = useState('');
  const [outcome, setOutcome] = useState(undefined);
  const decide = (what) =>
    post(`/api/approvals/${encodeURIComponent(approval.id)}/${what}`, { by, reason }).then(
      (a) => setOutcome({ ok: `${a.status} by ${a.decidedBy}` }),
      (e) => setOutcome({ error: e.message }),
    );
  return html`<div class="decide" data-testid=${`decide-${approval.id}`}>
    <input data-testid="decide-by" placeholder="who decides" value=${by} onInput=${(e) => setBy(e.currentTarget.value)} />
    <input data-testid="decide-reason" placeholder="why" value=${reason} onInput=${(e) => setReason(e.currentTarget.value)} />
    <button data-testid="approve" onClick=${() => decide('approve')}>Approve</button>
    <button class="danger" data-testid="deny" onClick=${() => decide('deny')}>Deny</button>
    ${outcome === undefined ? null : outcome.error === undefined ? html`<span class="ok">${outcome.ok}</span>` : html`<${ErrorLine} error=${outcome.error} />`}
  </div>`;
}

export function ApprovalsView() {
  const [status, setStatus] = useState('pending');
  const { data, error } = useResource(`/api/approvals?status=${status}`, ['approvals', 'runs']);
  return html`<section>
    <h2>Approvals</h2>
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <label>Status <select value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
        ${['pending', 'approved', 'denied', 'all'].map((s) => html`<option value=${s}>${s}</option>`)}
      </select></label>
    </form>
    <${ErrorLine} error=${error} />
    ${
      data === undefined
        ? null
        : data.length === 0
          ? html`<p class="muted" data-testid="no-approvals">No ${status === 'all' ? '' : `${status} `}approvals.</p>`
          : html`<table data-testid="approvals-table"><thead><tr><th>Action</th><th>Run</th><th>Requested</th><th>Why</th><th>Details</th><th>Decision</th></tr></thead>
            <tbody>${data.map(
              (a) => html`<tr><td>${a.action} <span class="muted">(${a.kind})</span></td><td><a href=${`#/runs/${a.runId}`}>${a.runId}</a></td>
                <td>${time(a.requestedAt)}</td><td>${a.reason}</td><td><${Json} value=${a.details} /></td>
                <td>${a.status === 'pending' ? html`<${Decide} approval=${a} />` : `${a.status} by ${a.decidedBy}: ${a.decisionReason}`}</td></tr>`,
            )}</tbody></table>`
    }
  </section>`;
}

// ---- quarantine and the provided views -----------------------------------------------------

export function QuarantineView() {
  const { data, error } = useResource('/api/quarantine', ['quarantine']);
  return html`<section>
    <h2>Quarantine</h2>
    <${ErrorLine} error=${error} />
    ${
      data === undefined
        ? null
        : data.length === 0
          ? html`<p class="muted">Nothing is quarantined.</p>`
          : html`<table data-testid="quarantine-table"><thead><tr><th>Namespace</th><th>Key</th><th>Crashes</th><th>Quarantined</th><th>Last error</th><th>Input</th></tr></thead>
            <tbody>${data.map(
              ({ namespace, key, record }) => html`<tr><td>${namespace}</td><td><code>${key.slice(0, 16)}</code></td><td>${record.crashes}</td>
                <td>${time(record.quarantinedAt)}</td><td class="error">${record.lastError?.name}: ${record.lastError?.message}</td><td><code>${record.preview}</code></td></tr>`,
            )}</tbody></table>`
    }
  </section>`;
}

/** A cell of a provided table: objects as JSON, times (a number in a column named `...At`) as times. */
function cell(column, value) {
  if (typeof value === 'object' && value !== null) return html`<${Json} value=${value} />`;
  if (typeof value === 'number' && /At$/.test(column)) return time(value);
  return String(value ?? '');
}

/** Rows of objects as a table (the columns are the keys of the first rows); anything else as JSON. */
export function JsonTable({ rows, testid }) {
  if (!Array.isArray(rows)) return html`<${Json} value=${rows} />`;
  if (rows.length === 0) return html`<p class="muted">None.</p>`;
  const columns = [...new Set(rows.slice(0, 20).flatMap((r) => (r !== null && typeof r === 'object' ? Object.keys(r) : [])))];
  return html`<table data-testid=${testid}><thead><tr>${columns.map((c) => html`<th>${c}</th>`)}</tr></thead>
    <tbody>${rows.map((r) => html`<tr>${columns.map((c) => html`<td>${cell(c, r[c])}</td>`)}</tr>`)}</tbody></table>`;
}

export function ProvidedView({ name, title, topics = [name] }) {
  const { data, error } = useResource(`/api/${name}`, topics);
  return html`<section>
    <h2>${title}</h2>
    <${ErrorLine} error=${error} />
    ${data === undefined ? null : data.available === false ? html`<p class="muted">Not available in this installation.</p>` : html`<${ProvidedData} name=${name} data=${data.data} />`}
  </section>`;
}

function ProvidedData({ name, data }) {
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
    return Object.entries(data).map(([key, value]) => html`<h3>${key}</h3><${JsonTable} rows=${value} testid=${`${name}-${key}`} />`);
  }
  return html`<${JsonTable} rows=${data} testid=${name} />`;
}

export function HealthView() {
  const { data, error } = useResource('/api/health', ['health', 'hosts']);
  return html`<section>
    <h2>Health</h2>
    <${ErrorLine} error=${error} />
    ${
      data === undefined
        ? null
        : html`
          <h3>Published by hosts</h3>
          ${data.hosts.length === 0 ? html`<p class="muted">No host has published.</p>` : html`<${JsonTable} rows=${data.hosts} testid="health-hosts" />`}
          ${data.report.available ? html`<h3>Report</h3><${ProvidedData} name="health" data=${data.report.data} />` : null}`
    }
  </section>`;
}
