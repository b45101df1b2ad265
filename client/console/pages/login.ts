/** The sign-in page: paste an API token; the server keeps it behind a session cookie. */
import { html } from '../html';
import { page } from '../layout';

export function loginPage(opts: { error?: string; next?: string }): string {
  return page({
    title: 'Sign in',
    principal: null,
    body: html`<div class="login card">
<h1>Sign in to the console</h1>
<p class="muted">Paste an API token (<code>psat_…</code>). The console acts with that token's name, role and connections, exactly as the API does; every change is written to the audit log under its name. <code>npm start</code> keeps a local admin token in <code>.data/admin-token</code>.</p>
${opts.error ? html`<div class="flash flash-error" role="alert"><p>${opts.error}</p></div>` : null}
<form method="post" action="/console/login">
  ${opts.next ? html`<input type="hidden" name="next" value="${opts.next}">` : null}
  <div class="field"><label for="token">API token</label>
  <input id="token" name="token" type="password" autocomplete="off" required autofocus spellcheck="false"></div>
  <button type="submit" class="primary">Sign in</button>
</form>
<p class="small muted">The token stays on the server for the session (at most 12 hours, 8 without a click); the browser only holds a random session id.</p>
</div>`,
  });
}
