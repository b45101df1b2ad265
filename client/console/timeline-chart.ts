/**
 * The billed-quantity timeline (§3) as an inline SVG step chart, drawn on the server: one
 * colour per product, a dashed line for today. No script and no style attribute, so the
 * page's strict CSP holds; the table beside it carries the same numbers for screen readers.
 */
import { addDays, daysBetween, type IsoDate } from '../../domain/dates';
import type { TimelineSegment } from '../../domain/timeline';
import { html, type Html } from './html';

const W = 760;
const H = 220;
const PAD = { left: 44, right: 16, top: 14, bottom: 40 };
const COLOURS = ['#2563eb', '#d97706', '#059669', '#db2777', '#7c3aed'];

export function timelineChart(segments: readonly TimelineSegment[], today: IsoDate): Html {
  if (segments.length === 0) return html`<p class="muted">Nothing billed yet.</p>`;
  const start = segments.reduce((d, s) => (s.from < d ? s.from : d), segments[0]!.from);
  const lastKnown = segments.reduce((d, s) => (s.to !== null && s.to > d ? s.to : s.from > d ? s.from : d), today);
  // Open-ended runs are drawn a little past today (or past the last dated change).
  const end = addDays(lastKnown, Math.max(30, Math.round(daysBetween(start, lastKnown) / 8)));
  const span = Math.max(1, daysBetween(start, end));
  const maxQ = Math.max(1, ...segments.map((s) => s.quantity));
  const x = (d: IsoDate) => PAD.left + ((W - PAD.left - PAD.right) * Math.min(span, Math.max(0, daysBetween(start, d)))) / span;
  const y = (q: number) => PAD.top + (H - PAD.top - PAD.bottom) * (1 - q / maxQ);
  const products = [...new Set(segments.map((s) => s.productId))];
  const paths = products.map((p, i) => {
    const segs = segments.filter((s) => s.productId === p);
    // One continuous step line per run of adjoining segments; it drops to 0 only where billing stops.
    let d = '';
    let prevEnd: IsoDate | null = null;
    for (const s of segs) {
      const x1 = x(s.from).toFixed(1);
      const x2 = x(s.to === null ? end : addDays(s.to, 1)).toFixed(1);
      const yq = y(s.quantity).toFixed(1);
      d += prevEnd === s.from ? ` L${x1},${yq} L${x2},${yq}` : `${d ? ` L${x(prevEnd!).toFixed(1)},${y(0).toFixed(1)}` : ''} M${x1},${y(0).toFixed(1)} L${x1},${yq} L${x2},${yq}`;
      prevEnd = s.to === null ? end : addDays(s.to, 1);
    }
    if (prevEnd) d += ` L${x(prevEnd).toFixed(1)},${y(0).toFixed(1)}`;
    const colour = COLOURS[i % COLOURS.length]!;
    return html`<path d="${d}" fill="none" stroke="${colour}" stroke-width="2.5"></path>`;
  });
  const ticks = [0, Math.round(maxQ / 2), maxQ].filter((q, i, a) => a.indexOf(q) === i);
  const months: IsoDate[] = [];
  for (let m = `${start.slice(0, 7)}-01`; m <= end; m = addDays(`${m.slice(0, 7)}-28`, 4).slice(0, 7) + '-01') if (m >= start) months.push(m);
  const every = Math.max(1, Math.ceil(months.length / 8));
  const label = segments.map((s) => `${s.productId} ${s.quantity} from ${s.from}${s.to ? ` to ${s.to}` : ''}`).join('; ');
  return html`<figure class="chart">
<svg viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">
<title id="chart-title">Billed quantity over time</title><desc id="chart-desc">${label}</desc>
${ticks.map((q) => html`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(q).toFixed(1)}" y2="${y(q).toFixed(1)}" stroke="#e5e7eb"></line><text x="${PAD.left - 6}" y="${(y(q) + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#6b7280">${q}</text>`)}
${months.filter((_, i) => i % every === 0).map((m) => html`<text x="${x(m).toFixed(1)}" y="${H - PAD.bottom + 16}" font-size="11" fill="#6b7280">${m.slice(0, 7)}</text>`)}
${paths}
${today >= start && today <= end ? html`<line x1="${x(today).toFixed(1)}" x2="${x(today).toFixed(1)}" y1="${PAD.top}" y2="${y(0).toFixed(1)}" stroke="#111827" stroke-dasharray="4 3"></line><text x="${(x(today) + 4).toFixed(1)}" y="${PAD.top + 10}" font-size="11" fill="#111827">today</text>` : null}
</svg>
<figcaption>${products.map((p, i) => html`<span class="legend"><span class="swatch swatch-${i % COLOURS.length}"></span>${p}</span>`)}</figcaption>
</figure>`;
}
