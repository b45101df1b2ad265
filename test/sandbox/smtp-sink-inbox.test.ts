/**
 * The SMTP sink's web inbox: mail sent over SMTP is listed at the sink's HTTP root (subject,
 * from, to, date; newest first) and each message has a page with its HTML body in a sandboxed
 * frame and its text body; whatever a mail holds is escaped. The JSON API stays as it was.
 */
import nodemailer from 'nodemailer';
import { freePort } from '../../sandbox/stack/ports';
import { escapeHtml } from '../../sandbox/smtp-sink/inbox-html';
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../../sandbox/smtp-sink/smtp-sink';

const HOSTILE_SUBJECT = 'Digest <script>alert("subject")</script> & more';
const HOSTILE_HTML = '<h1>Renewals</h1><p onclick="steal()">Acme &amp; Co</p><script>alert("body")</script>"><img src=x onerror=alert(1)>';
const TEXT = 'Renewals due:\n- Acme <E5> 10 seats';

describe('SMTP sink inbox', () => {
  let sink: SmtpSink;

  beforeAll(async () => {
    sink = await startSmtpSink({ smtpPort: await freePort(), httpPort: await freePort() });
    const mailer = nodemailer.createTransport(sink.smtpUrl);
    await mailer.sendMail({ from: 'connector@msp.example', to: 'ops@msp.example', subject: 'First', text: 'plain only' });
    await mailer.sendMail({ from: 'connector@msp.example', to: ['ops@msp.example', 'billing@msp.example'], subject: HOSTILE_SUBJECT, text: TEXT, html: HOSTILE_HTML });
  });
  afterAll(() => sink.close());

  const get = async (path: string) => {
    const res = await fetch(`${sink.apiUrl}${path}`);
    return { status: res.status, type: res.headers.get('content-type'), csp: res.headers.get('content-security-policy'), body: await res.text() };
  };

  it('lists every message at the root, newest first, with subject, from, to and date, escaped', async () => {
    const inbox = await get('/');
    expect(inbox).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
    expect(inbox.csp).toContain("default-src 'none'");
    expect(inbox.body).toContain('2 messages');
    expect(inbox.body).toContain(`<a href="/view/2">${escapeHtml(HOSTILE_SUBJECT)}</a>`);
    expect(inbox.body).toContain('<td>ops@msp.example, billing@msp.example</td>');
    expect(inbox.body).toMatch(/<td class="muted">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC<\/td>/);
    expect(inbox.body.indexOf('/view/2')).toBeLessThan(inbox.body.indexOf('/view/1'));
    expect(inbox.body).not.toContain('<script>');
  });

  it('shows one message: headers, the HTML body in a sandboxed frame (escaped into srcdoc), the text body', async () => {
    const page = await get('/view/2');
    expect(page.status).toBe(200);
    expect(page.body).toContain(`<h1>${escapeHtml(HOSTILE_SUBJECT)}</h1>`);
    const frame = /<iframe sandbox="" title="HTML body" srcdoc="([^"]*)"><\/iframe>/.exec(page.body);
    expect(frame).not.toBeNull();
    // The srcdoc attribute holds the mail's HTML exactly, once the browser unescapes it.
    const unescaped = frame![1]!.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    expect(unescaped).toBe(HOSTILE_HTML);
    expect(page.body).toContain(`<pre>${escapeHtml(TEXT)}</pre>`);
    expect(page.body.replace(/srcdoc="[^"]*"/, '')).not.toMatch(/<script|onerror=|onclick=/);

    const plain = await get('/view/1');
    expect(plain.body).toContain('No HTML body.');
    expect(plain.body).toContain('<pre>plain only</pre>');
    expect((await get('/view/99')).status).toBe(404);
  });

  it('keeps the JSON API: the list, one message, and clearing', async () => {
    const list = JSON.parse((await get('/messages')).body) as SinkMessage[];
    expect(list.map((m) => m.subject)).toEqual(['First', HOSTILE_SUBJECT]);
    expect(JSON.parse((await get('/messages/2')).body)).toMatchObject({ id: 2, subject: HOSTILE_SUBJECT, to: ['ops@msp.example', 'billing@msp.example'] });
    expect((await get('/messages/99')).status).toBe(404);
    expect((await fetch(`${sink.apiUrl}/messages`, { method: 'DELETE' })).status).toBe(204);
    expect((await get('/')).body).toContain('No mail yet.');
  });
});
