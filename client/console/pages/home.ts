/** The console's start page (connections and what needs attention) and the audit log. */
import type { AuditEntry, Connection as ConnectionView, MappingSummary } from '../../../activities/store';
import type { ReconciliationLogEntry } from '../../../app/admin/reconciliation-log';
import { connUrl, guarded, may, type ConsoleAnswer, type ConsoleContext } from '../console-kit';
import { html, query } from '../html';
import { TODO_STATUSES } from '../reconciliation-view';

async function connectionsOf(ctx: ConsoleContext): Promise<ConnectionView[]> {
  if (!ctx.principal.connections) return (await ctx.api.get<{ items: ConnectionView[] }>('/api/connections')).items;
  // A token limited to connections may not list them all: read its own one by one.
  const answers = await Promise.all(ctx.principal.connections.map((id) => ctx.api.call<ConnectionView>('GET', `/api/connections/${encodeURIComponent(id)}`)));
  return answers.filter((a) => a.error === undefined).map((a) => a.body);
}

export async function homePage(ctx: ConsoleContext): Promise<ConsoleAnswer> {
  const connections = await connectionsOf(ctx);
  const cards = await Promise.all(
    connections.map(async (c) => {
      const base = `/api/connections/${encodeURIComponent(c.id)}`;
      const [summary, todo] = await Promise.all([
        ctx.api.get<MappingSummary>(`${base}/summary`),
        ctx.api.get<{ rows: ReconciliationLogEntry[] }>(`${base}/reconciliation/log${query({ status: TODO_STATUSES.join(','), limit: 1000 })}`),
      ]);
      const unmapped = summary.customers.unmapped + summary.products.unmapped + summary.subscriptions.unmapped;
      const failed = summary.customers.failed + summary.products.failed + summary.subscriptions.failed;
      return html`<section class="card" aria-labelledby="conn-${c.id}">
<h2 id="conn-${c.id}">${c.name} <span class="muted small">${c.id} · ${c.psa === 'connectwise' ? 'ConnectWise' : 'Autotask'}</span></h2>
<div class="cards">
  <div><div class="kpi">${todo.rows.length}</div><a href="${connUrl(c.id, '/reconciliation')}">reconciliation items to review</a></div>
  <div><div class="kpi">${unmapped}</div><a href="${connUrl(c.id, '/mapping')}">unmapped (${summary.customers.unmapped} customers, ${summary.products.unmapped} products, ${summary.subscriptions.unmapped} subscriptions)</a></div>
  <div><div class="kpi">${failed}</div><a href="${connUrl(c.id, `/mapping${query({ tab: 'subscriptions', status: 'failed' })}`)}">failed</a></div>
</div>
<p class="small"><a href="${connUrl(c.id, '/settings')}">Settings, schedules and notifications</a></p>
</section>`;
    }),
  );
  return {
    page: {
      title: 'Connections',
      section: 'home',
      body: html`<h1>Connections</h1>
${cards.length ? cards : html`<p>No connection yet.</p>`}
${may(ctx.principal, 'admin') ? html`<p><a class="button" href="/console/connections/new">Add a connection</a></p>` : null}
<form method="post" action="/console/schedules/apply" class="inline"><input type="hidden" name="back" value="/console"><button type="submit"${guarded(ctx.principal, 'admin')}>Apply schedules</button></form>`,
    },
  };
}

export async function auditPage(ctx: ConsoleContext): Promise<ConsoleAnswer> {
  const q = { who: ctx.query.who, action: ctx.query.action, connection: ctx.query.connection, outcome: ctx.query.outcome, from: ctx.query.from, to: ctx.query.to, limit: ctx.query.limit ?? '200' };
  const { items } = await ctx.api.get<{ items: AuditEntry[] }>(`/api/audit${query(q)}`);
  return {
    page: {
      title: 'Audit log',
      section: 'audit',
      body: html`<h1>Audit log</h1>
<form method="get" class="toolbar" role="search">
  <label>Who<input type="text" name="who" value="${q.who ?? ''}"></label>
  <label>Action contains<input type="text" name="action" value="${q.action ?? ''}" data-search></label>
  <label>Connection<input type="text" name="connection" value="${q.connection ?? ''}"></label>
  <label>Outcome<select name="outcome"><option value="">any</option>${['ok', 'refused', 'failed'].map((o) => html`<option${q.outcome === o ? html` selected` : null}>${o}</option>`)}</select></label>
  <label>From<input type="text" name="from" value="${q.from ?? ''}" placeholder="YYYY-MM-DD"></label>
  <label>To<input type="text" name="to" value="${q.to ?? ''}" placeholder="YYYY-MM-DD"></label>
  <button type="submit">Filter</button>
</form>
<div class="table-wrap"><table>
<thead><tr><th>When (UTC)</th><th>Who</th><th>Role</th><th>Action</th><th>Target</th><th>Outcome</th><th>Error</th></tr></thead>
<tbody>${items.map((e) => html`<tr><td class="mono">${e.at.replace('T', ' ').slice(0, 19)}</td><td>${e.who}</td><td>${e.role ?? ''}</td><td class="mono">${e.action}</td><td class="mono small">${Object.entries(e.target).map(([k, v]) => `${k}=${v}`).join(' ')}</td><td><span class="status status-${e.outcome === 'ok' ? 'ok' : 'failed'}">${e.outcome} ${e.status ?? ''}</span></td><td class="small">${e.error ?? ''}</td></tr>`)}</tbody>
</table></div>
${items.length === 0 ? html`<p class="muted">No entry matches.</p>` : null}`,
    },
  };
}
