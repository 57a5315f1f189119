// Runs: the list (filter by status and definition) and one run opened: its journal step by
// step, its effects, its approvals, its trace id.
import { useState } from 'preact/hooks';
import { useResource } from './api.js';
import { html } from './html.js';
import { ErrorLine, Json, time } from './views.js';

const STATUSES = ['', 'running', 'suspended', 'completed', 'failed', 'cancelled'];

export function RunsView() {
  const [status, setStatus] = useState('');
  const [name, setName] = useState('');
  const query = new URLSearchParams({ ...(status === '' ? {} : { status }), ...(name === '' ? {} : { name }) }).toString();
  const { data, error } = useResource(`/api/runs${query === '' ? '' : `?${query}`}`, ['runs']);
  return html`<section>
    <h2>Runs</h2>
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <label>Status <select data-testid="runs-status" value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
        ${STATUSES.map((s) => html`<option value=${s}>${s === '' ? 'any' : s}</option>`)}
      </select></label>
      <label>Definition <input data-testid="runs-name" value=${name} placeholder="any" onChange=${(e) => setName(e.currentTarget.value.trim())} /></label>
    </form>
    <${ErrorLine} error=${error} />
    ${
      data === undefined
        ? null
        : data.length === 0
          ? html`<p class="muted">No runs.</p>`
          : html`<table data-testid="runs-table">
              <thead><tr><th>Run</th><th>Definition</th><th>Status</th><th>Updated</th><th>Detail</th></tr></thead>
              <tbody>${data.map(
                (r) => html`<tr>
                  <td><a href=${`#/runs/${encodeURIComponent(r.id)}`} data-testid="run-link">${r.id}</a></td>
                  <td>${r.name}</td>
                  <td><span class=${`status ${r.status}`}>${r.status}</span>${r.request === undefined ? '' : ` (${r.request} requested)`}</td>
                  <td>${time(r.updatedAt)}</td>
                  <td>${r.status === 'suspended' ? r.suspendReason : (r.error?.message ?? '')}</td>
                </tr>`,
              )}</tbody>
            </table>`
    }
  </section>`;
}

export function RunView({ id }) {
  const { data, error } = useResource(`/api/runs/${encodeURIComponent(id)}`, ['runs', 'approvals']);
  if (error !== undefined && data === undefined) return html`<section><h2>Run ${id}</h2><${ErrorLine} error=${error} /></section>`;
  if (data === undefined) return html`<section><h2>Run ${id}</h2><p class="muted">Loading…</p></section>`;
  const { run, journal, effects, approvals } = data;
  return html`<section data-testid="run-detail">
    <p><a href="#/runs">← all runs</a></p>
    <h2>Run ${run.id}</h2>
    <dl class="facts">
      <dt>Definition</dt><dd>${run.name}</dd>
      <dt>Status</dt><dd><span class=${`status ${run.status}`} data-testid="run-status">${run.status}</span>${run.suspendReason === undefined ? '' : ` (${run.suspendReason})`}</dd>
      <dt>Trace id</dt><dd><code data-testid="run-trace">${run.traceId}</code></dd>
      <dt>Input</dt><dd><${Json} value=${run.input} /></dd>
      ${run.output === undefined ? null : html`<dt>Output</dt><dd><${Json} value=${run.output} /></dd>`}
      ${run.error === undefined ? null : html`<dt>Error</dt><dd class="error">${run.error.name}: ${run.error.message}</dd>`}
      <dt>Epoch</dt><dd>${run.epoch}${run.owner === undefined ? '' : ` (owner ${run.owner})`}</dd>
      <dt>Created</dt><dd>${time(run.createdAt)}</dd>
      ${run.replayOf === undefined ? null : html`<dt>Replays</dt><dd>dead letter <a href=${`#/dlq/${run.replayOf}`}>${run.replayOf}</a></dd>`}
    </dl>
    <h3>Journal (${journal.length} entries)</h3>
    <table data-testid="journal">
      <thead><tr><th>#</th><th>Kind</th><th>Step</th><th>Outcome</th><th>Value or error</th><th>At</th></tr></thead>
      <tbody>${journal.map(
        (e) => html`<tr>
          <td>${e.seq}</td><td>${e.kind}</td><td>${e.name}</td><td><span class=${`status ${e.outcome}`}>${e.outcome}</span></td>
          <td>${e.outcome === 'ok' ? html`<${Json} value=${e.value} />` : html`<span class="error">${e.error?.message}</span>`}</td>
          <td>${time(e.at)}</td>
        </tr>`,
      )}</tbody>
    </table>
    ${
      effects.length === 0
        ? null
        : html`<h3>Effects</h3><table data-testid="effects"><thead><tr><th>#</th><th>Effect</th><th>Status</th><th>Idempotency key</th></tr></thead>
          <tbody>${effects.map((e) => html`<tr><td>${e.seq}</td><td>${e.name}</td><td>${e.status === 'intent' ? 'uncertain (intent, no outcome)' : e.status}</td><td><code>${e.key}</code></td></tr>`)}</tbody></table>`
    }
    ${
      approvals.length === 0
        ? null
        : html`<h3>Approvals</h3><table><thead><tr><th>Action</th><th>Status</th><th>Why</th><th>Decided</th></tr></thead>
          <tbody>${approvals.map((a) => html`<tr><td>${a.action}</td><td>${a.status}</td><td>${a.reason}</td><td>${a.decidedBy === undefined ? '' : `${a.decidedBy}: ${a.decisionReason}`}</td></tr>`)}</tbody></table>`
    }
  </section>`;
}
