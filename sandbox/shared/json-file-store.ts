/**
 * Optional persistence of a sandbox's state to one JSON file, so a standalone sandbox keeps
 * its records across restarts. Writes are serialized and atomic (temp file + rename).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface JsonFileStore<T> {
  load(): T | undefined;
  /** Queues a write of this state; errors are reported through `onError`. */
  save(state: T): void;
  /** Resolves once every queued write is on disk. */
  flush(): Promise<void>;
}

export function createJsonFileStore<T>(file: string, onError: (error: unknown) => void = () => {}): JsonFileStore<T> {
  let queue: Promise<void> = Promise.resolve();
  let latest: string | undefined;
  return {
    load() {
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as T;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    save(state) {
      latest = JSON.stringify(state, null, 2);
      queue = queue
        .then(async () => {
          if (latest === undefined) return; // a later save already wrote it
          const text = latest;
          latest = undefined;
          mkdirSync(dirname(file), { recursive: true });
          await writeFile(`${file}.tmp`, text);
          await rename(`${file}.tmp`, file);
        })
        .catch(onError);
    },
    flush: () => queue,
  };
}
