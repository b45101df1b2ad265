/**
 * Tiny benchmark runner: `npm run bench` imports every bench/*.bench.ts. A bench file
 * `export default` an array of cases; each case runs `iterations` times after one warm-up and
 * reports the median, min and per-op figures. Add a file to add benches.
 *
 *   export default [{ name: 'thing', iterations: 5, run: () => doThing(), ops: 1000 }];
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';

export interface BenchCase {
  name: string;
  /** Timed runs after one warm-up run (default 5). */
  iterations?: number;
  /** Work units per run (events, subscriptions...) for a per-unit figure. */
  ops?: number;
  opsLabel?: string;
  setup?: () => unknown;
  run: (prepared: unknown) => unknown;
}

const filter = process.argv[2];
const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(2));

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'})`);
  for (const file of readdirSync(__dirname).filter((f) => f.endsWith('.bench.ts')).sort()) {
    const mod = (await import(join(__dirname, file))) as { default: BenchCase[] | { default: BenchCase[] } };
    const cases = Array.isArray(mod.default) ? mod.default : mod.default.default;
    for (const c of cases) {
      if (filter && !c.name.includes(filter)) continue;
      const prepared = c.setup?.();
      c.run(prepared); // warm-up
      const times: number[] = [];
      for (let i = 0; i < (c.iterations ?? 5); i++) {
        const t0 = performance.now();
        c.run(prepared);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)]!;
      const per = c.ops ? `, ${((median * 1000) / c.ops).toFixed(1)} µs/${c.opsLabel ?? 'op'}` : '';
      console.log(`${file} › ${c.name}: median ${fmt(median)} ms, min ${fmt(times[0]!)} ms (${times.length} runs)${per}`);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
