/** The page shell of every console page: header, navigation, the flash message, the content. */
import type { Principal } from '../../activities/store';
import { html, type Html } from './html';
import type { Flash } from './sessions';

export type Section = 'home' | 'review' | 'mapping' | 'subscriptions' | 'settings' | 'audit' | 'none';

export interface PageFrame {
  title: string;
  principal: Principal | null;
  /** The connection the page is about (its nav links appear). */
  connectionId?: string;
  section?: Section;
  flash?: Flash;
  body: Html;
}

function nav(f: PageFrame): Html {
  if (!f.principal) return html``;
  const c = f.connectionId;
  const link = (href: string, label: string, section: Section) =>
    html`<a href="${href}"${f.section === section ? html` aria-current="page"` : null}>${label}</a>`;
  return html`<nav aria-label="Main">
  ${link('/console', 'Connections', 'home')}
  ${c
    ? html`<span class="crumb" aria-hidden="true">›</span><strong class="conn">${c}</strong>
  ${link(`/console/c/${encodeURIComponent(c)}/reconciliation`, 'Reconciliation', 'review')}
  ${link(`/console/c/${encodeURIComponent(c)}/mapping`, 'Mapping', 'mapping')}
  ${link(`/console/c/${encodeURIComponent(c)}/settings`, 'Settings', 'settings')}`
    : null}
  ${f.principal.role === 'admin' ? link('/console/audit', 'Audit log', 'audit') : null}
</nav>
<form method="post" action="/console/logout" class="who">
  <span title="The API token you signed in with">${f.principal.name} · <span class="role role-${f.principal.role}">${f.principal.role}</span></span>
  <button type="submit" class="link">Sign out</button>
</form>`;
}

export function page(f: PageFrame): string {
  return `<!doctype html>${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${f.title} · psa-connector</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/console.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><a class="brand" href="/console">psa-connector</a>${nav(f)}</header>
<main id="main" tabindex="-1">
${f.flash
  ? html`<div class="flash flash-${f.flash.kind}" role="${f.flash.kind === 'error' ? 'alert' : 'status'}"><p>${f.flash.text}</p>${f.flash.details?.length ? html`<ul>${f.flash.details.map((d) => html`<li>${d}</li>`)}</ul>` : null}</div>`
  : null}
${f.body}
</main>
</body>
</html>`.value}`;
}
