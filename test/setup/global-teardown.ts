import type { ManagedProcess } from '../../sandbox/stack/child-process';
import type { SmtpSink } from '../../sandbox/smtp-sink/smtp-sink';

export default async function globalTeardown(): Promise<void> {
  const servers = (globalThis as Record<string, unknown>).__psaTestServers as
    | { temporal: ManagedProcess; ferret: ManagedProcess; sink: SmtpSink }
    | undefined;
  if (!servers) return;
  await Promise.all([servers.temporal.stop(), servers.ferret.stop(), servers.sink.close()]);
}
