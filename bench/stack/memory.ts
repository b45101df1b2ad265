/**
 * Resident memory of the run's processes, sampled every second from /proc/<pid>/status and
 * kept per phase (idle, under load, with every workflow of the run open, …): max and mean MiB.
 */
import { rssMiB } from './processes';
import { round } from './stats';

export interface MemoryFigures {
  /** Samples taken in the phase. */
  samples: number;
  /** Per process: max and mean resident MiB over the phase. */
  processes: Record<string, { maxMiB: number; meanMiB: number }>;
}

export function startMemorySampler(pids: Record<string, number>, everyMs = 1_000) {
  const phases = new Map<string, { samples: number; sums: Record<string, number>; maxes: Record<string, number>; counts: Record<string, number> }>();
  let current = 'start';
  const sample = () => {
    let p = phases.get(current);
    if (!p) phases.set(current, (p = { samples: 0, sums: {}, maxes: {}, counts: {} }));
    p.samples += 1;
    for (const [name, pid] of Object.entries(pids)) {
      const mib = rssMiB(pid);
      if (mib === null) continue;
      p.sums[name] = (p.sums[name] ?? 0) + mib;
      p.counts[name] = (p.counts[name] ?? 0) + 1;
      p.maxes[name] = Math.max(p.maxes[name] ?? 0, mib);
    }
  };
  const timer = setInterval(sample, everyMs);
  timer.unref();
  return {
    /** Later samples count for `phase` (a phase may be entered again: its figures accumulate). */
    phase(name: string): void {
      current = name;
      sample();
    },
    figures(): Record<string, MemoryFigures> {
      return Object.fromEntries(
        [...phases].map(([name, p]) => [
          name,
          {
            samples: p.samples,
            processes: Object.fromEntries(Object.keys(p.maxes).map((proc) => [proc, { maxMiB: round(p.maxes[proc]!), meanMiB: round(p.sums[proc]! / p.counts[proc]!) }])),
          },
        ]),
      );
    },
    stop(): void {
      clearInterval(timer);
    },
  };
}

export type MemorySampler = ReturnType<typeof startMemorySampler>;
