/**
 * Regenerates docs/console/*.png from a running stack with the demo data (docs/console.md):
 *   npm start                      # in one terminal (or any stack with the demo data)
 *   CONSOLE_URL=http://127.0.0.1:8080 PSA_CONNECTOR_TOKEN=$(cat .data/admin-token) npm run console:screenshots
 * First it starts (or finds) the demo's October runs, so the review page has items. Then it
 * loads each page five times and prints the median and the slowest load (navigation start to
 * the load event, in the browser): the figures in docs/console.md.
 */
import path from 'node:path';
import { startBrowser, signIn } from './browser';

const PAGES: Array<{ file: string; path: string; prepare?: string }> = [
  { file: 'login.png', path: '/console/login' },
  { file: 'connections.png', path: '/console' },
  { file: 'reconciliation.png', path: '/console/c/cw-demo/reconciliation?month=2026-10&view=all&group=customer' },
  { file: 'mapping-customers.png', path: '/console/c/cw-demo/mapping?tab=customers' },
  { file: 'mapping-subscriptions.png', path: '/console/c/cw-demo/mapping?tab=subscriptions&status=unmapped,mapped,failed' },
  { file: 'subscription-connectwise.png', path: '/console/c/cw-demo/subscriptions/cw-acme-bp' },
  { file: 'subscription-autotask.png', path: '/console/c/at-demo/subscriptions/at-acme-bp' },
  { file: 'settings.png', path: '/console/c/cw-demo/settings' },
  { file: 'audit.png', path: '/console/audit' },
];

async function main(): Promise<void> {
  const base = (process.env.CONSOLE_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
  const token = process.env.PSA_CONNECTOR_TOKEN;
  if (!token) throw new Error('PSA_CONNECTOR_TOKEN: set it to an admin token (npm start keeps one in .data/admin-token)');
  const out = path.resolve(__dirname, '../../docs/console');
  const month = process.env.DEMO_MONTH ?? '2026-10';
  for (const c of ['cw-demo', 'at-demo']) {
    const res = await fetch(`${base}/api/connections/${c}/reconciliation/runs/Microsoft%20CSP/${month}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`starting the ${month} run of ${c}: ${res.status} ${await res.text()}`);
  }
  await new Promise((r) => setTimeout(r, 3000)); // the runs' first check
  const b = await startBrowser();
  try {
    const page = await b.page();
    await page.goto(`${base}/console/login`);
    await page.screenshot({ path: path.join(out, 'login.png') });
    await signIn(page, base, token);
    console.log('page\tmedian ms\tslowest ms (5 loads, navigation start → load event)');
    for (const p of PAGES.slice(1)) {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        await page.goto(`${base}${p.path}`, { waitUntil: 'load' });
        times.push(await page.evaluate<number>("Math.round(performance.getEntriesByType('navigation')[0].loadEventEnd)"));
      }
      times.sort((a, b) => a - b);
      await page.screenshot({ path: path.join(out, p.file), fullPage: true });
      console.log(`${p.path}\t${times[2]}\t${times[4]}\t→ docs/console/${p.file}`);
    }
  } finally {
    await b.close();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
