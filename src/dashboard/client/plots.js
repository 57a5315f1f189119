// Restarts and spend over time, from the samples hosts publish with their snapshots (uPlot).
import { html } from './html.js';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

/** One time series plot: `series` is [{ label, values }] over `times` (ms). */
export function Plot({ title, times, series, testid }) {
  const box = useRef(null);
  useEffect(() => {
    if (box.current === null) return undefined;
    const plot = new uPlot(
      {
        title,
        width: Math.max(320, Math.min(640, box.current.clientWidth || 480)),
        height: 200,
        series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: COLOURS[i % COLOURS.length], width: 2 }))],
        axes: [{}, { size: 60 }],
      },
      [times.map((t) => t / 1000), ...series.map((s) => s.values)],
      box.current,
    );
    return () => plot.destroy();
  }, [title, JSON.stringify(times), JSON.stringify(series)]);
  return html`<div class="plot" data-testid=${testid} ref=${box}></div>`;
}

const COLOURS = ['#c0392b', '#2471a3', '#1e8449', '#b9770e', '#6c3483'];

/** Restarts per interval and spend so far, one series per host. */
export function SamplePlots({ samples }) {
  const hosts = [...new Set(samples.map((s) => s.host))];
  const times = [...new Set(samples.map((s) => s.at))].sort((a, b) => a - b);
  const column = (field) =>
    hosts.map((host) => {
      const byTime = new Map(samples.filter((s) => s.host === host).map((s) => [s.at, s[field]]));
      return { label: host, values: times.map((t) => byTime.get(t) ?? null) };
    });
  if (times.length === 0) return html`<p class="muted">No samples yet: hosts publish them with their snapshots.</p>`;
  return html`<div class="plots">
    <${Plot} title="Restarts per interval" times=${times} series=${column('restarts')} testid="plot-restarts" />
    <${Plot} title="Spend so far (USD)" times=${times} series=${column('spendUsd')} testid="plot-spend" />
  </div>`;
}
