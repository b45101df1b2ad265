/**
 * The SMTP sink's web inbox: a list of received messages (newest first) and one page per
 * message with its HTML body (in a sandboxed frame: no scripts, no forms, no navigation) and its
 * text body. Every value from a mail is escaped; nothing is loaded from outside the page.
 */
import type { SinkMessage } from './smtp-sink';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe inside HTML content and quoted attribute values. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);

/** What the pages may load: nothing but their own inline styles (the mail's too) and inline images. */
export const INBOX_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; base-uri 'none'; form-action 'none'";

const STYLE = `
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d232a; }
  h1 { font-size: 1.3rem; margin: 0 0 1rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #dde2e8; vertical-align: top; }
  th { background: #f3f5f8; font-weight: 600; }
  tr:hover td { background: #f8fafc; }
  a { color: #0b5cad; text-decoration: none; } a:hover { text-decoration: underline; }
  .muted { color: #66707a; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0 0 1rem; }
  dt { font-weight: 600; }
  iframe { width: 100%; height: 32rem; border: 1px solid #dde2e8; }
  pre { white-space: pre-wrap; background: #f3f5f8; padding: .8rem; border: 1px solid #dde2e8; }`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
${body}
</body></html>
`;
}

/** "2026-03-01 09:30:00 UTC" from an ISO timestamp. */
const shownDate = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
const subjectOf = (m: SinkMessage): string => m.subject || '(no subject)';

/** The inbox: every message, newest first, each linking to its page. */
export function renderInbox(messages: readonly SinkMessage[]): string {
  const rows = [...messages]
    .reverse()
    .map(
      (m) => `<tr><td><a href="/view/${m.id}">${escapeHtml(subjectOf(m))}</a></td><td>${escapeHtml(m.from)}</td>` +
        `<td>${escapeHtml(m.to.join(', '))}</td><td class="muted">${escapeHtml(shownDate(m.receivedAt))}</td></tr>`,
    )
    .join('\n');
  const count = messages.length === 1 ? '1 message' : `${messages.length} messages`;
  return page(
    `Inbox (${messages.length}) — SMTP sink`,
    `<h1>SMTP sink inbox <span class="muted">${count}</span></h1>
<p class="muted">Every mail sent to this sink, newest first. JSON: <a href="/messages">/messages</a> (DELETE /messages clears it).</p>
${messages.length === 0 ? '<p>No mail yet.</p>' : `<table>\n<thead><tr><th>Subject</th><th>From</th><th>To</th><th>Received</th></tr></thead>\n<tbody>\n${rows}\n</tbody>\n</table>`}`,
  );
}

/** One message: its headers, its HTML body in a sandboxed frame, its text body. */
export function renderMessage(m: SinkMessage): string {
  const html = m.html
    ? `<h2>HTML</h2>\n<iframe sandbox="" title="HTML body" srcdoc="${escapeHtml(m.html)}"></iframe>`
    : '<p class="muted">No HTML body.</p>';
  const text = m.text ? `<h2>Text</h2>\n<pre>${escapeHtml(m.text.trimEnd())}</pre>` : '<p class="muted">No text body.</p>';
  return page(
    `${subjectOf(m)} — SMTP sink`,
    `<p><a href="/">← Inbox</a></p>
<h1>${escapeHtml(subjectOf(m))}</h1>
<dl><dt>From</dt><dd>${escapeHtml(m.from)}</dd><dt>To</dt><dd>${escapeHtml(m.to.join(', '))}</dd>` +
      `<dt>Received</dt><dd>${escapeHtml(shownDate(m.receivedAt))}</dd><dt>JSON</dt><dd><a href="/messages/${m.id}">/messages/${m.id}</a></dd></dl>
${html}
${text}`,
  );
}
