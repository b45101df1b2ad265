/**
 * An SMTP server that keeps every mail it receives (in memory, and appended to a JSON-lines
 * file when one is given so a restart keeps them), with a web inbox and a tiny JSON API:
 *   GET /               → the inbox (HTML): subject, from, to, date; newest first
 *   GET /view/:id       → one message (HTML): headers, HTML body (sandboxed frame), text body
 *   GET /messages       → [{ id, from, to, subject, text, html, receivedAt }]
 *   GET /messages/:id   → one message (JSON)
 *   DELETE /messages    → clears them
 * Stands in for any SMTP server locally; tests and the admin read what the digest sent.
 */
import http from 'node:http';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type AddressObject } from 'mailparser';
import { INBOX_CSP, renderInbox, renderMessage } from './inbox-html';

export interface SinkMessage {
  id: number;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  receivedAt: string;
}

export interface SmtpSinkOptions {
  smtpPort: number;
  httpPort: number;
  /** JSON-lines file that keeps messages across restarts. */
  storeFile?: string;
}

export interface SmtpSink {
  smtpUrl: string;
  apiUrl: string;
  messages(): SinkMessage[];
  close(): Promise<void>;
}

const addresses = (a: AddressObject | AddressObject[] | undefined): string[] =>
  (Array.isArray(a) ? a : a ? [a] : []).flatMap((x) => x.value.map((v) => v.address ?? '')).filter(Boolean);

export async function startSmtpSink(opts: SmtpSinkOptions): Promise<SmtpSink> {
  const store: SinkMessage[] = [];
  if (opts.storeFile && existsSync(opts.storeFile)) {
    for (const line of readFileSync(opts.storeFile, 'utf8').split('\n')) if (line.trim()) store.push(JSON.parse(line) as SinkMessage);
  }
  if (opts.storeFile) mkdirSync(path.dirname(opts.storeFile), { recursive: true });

  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          const msg: SinkMessage = {
            id: (store.at(-1)?.id ?? 0) + 1,
            from: addresses(mail.from)[0] ?? '',
            to: addresses(mail.to),
            subject: mail.subject ?? '',
            text: mail.text ?? '',
            html: typeof mail.html === 'string' ? mail.html : '',
            receivedAt: new Date().toISOString(),
          };
          store.push(msg);
          if (opts.storeFile) appendFileSync(opts.storeFile, `${JSON.stringify(msg)}\n`);
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  const json = (res: http.ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const html = (res: http.ServerResponse, status: number, body: string) =>
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': INBOX_CSP, 'x-content-type-options': 'nosniff' }).end(body);
  const byId = (id: string | undefined) => store.find((m) => String(m.id) === id);
  const api = http.createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://sink');
    const [, first, id, extra] = pathname.split('/');
    if (req.method === 'GET' && pathname === '/') {
      html(res, 200, renderInbox(store));
    } else if (req.method === 'GET' && first === 'view' && extra === undefined) {
      const msg = byId(id);
      if (msg) html(res, 200, renderMessage(msg));
      else html(res, 404, '<!doctype html><title>Not found</title><p>No such message. <a href="/">Inbox</a></p>');
    } else if (req.method === 'GET' && pathname === '/messages') {
      json(res, 200, store);
    } else if (req.method === 'GET' && first === 'messages' && extra === undefined) {
      const msg = byId(id);
      if (msg) json(res, 200, msg);
      else json(res, 404, { error: `no message ${id}` });
    } else if (req.method === 'DELETE' && pathname === '/messages') {
      store.length = 0;
      res.writeHead(204).end();
    } else {
      json(res, 404, { error: 'GET / (inbox), GET /view/:id, GET /messages, GET /messages/:id, DELETE /messages' });
    }
  });
  await new Promise<void>((resolve, reject) => {
    smtp.once('error', reject);
    smtp.listen(opts.smtpPort, '127.0.0.1', () => resolve());
  });
  await new Promise<void>((resolve, reject) => {
    api.once('error', reject);
    api.listen(opts.httpPort, '127.0.0.1', () => resolve());
  });
  return {
    smtpUrl: `smtp://127.0.0.1:${opts.smtpPort}`,
    apiUrl: `http://127.0.0.1:${opts.httpPort}`,
    messages: () => [...store],
    close: async () => {
      await new Promise<void>((r) => smtp.close(() => r()));
      await new Promise<void>((r) => api.close(() => r()));
    },
  };
}
