/**
 * An SMTP server that keeps every mail it receives (in memory, and appended to a JSON-lines
 * file when one is given so a restart keeps them), with a tiny HTTP API to read them:
 *   GET /messages  → [{ id, from, to, subject, text, html, receivedAt }]
 *   DELETE /messages → clears them
 * Stands in for any SMTP server locally; tests and the admin read what the digest sent.
 */
import http from 'node:http';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type AddressObject } from 'mailparser';

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
  const api = http.createServer((req, res) => {
    if (req.url === '/messages' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(store));
    } else if (req.url === '/messages' && req.method === 'DELETE') {
      store.length = 0;
      res.writeHead(204).end();
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'GET or DELETE /messages' }));
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
