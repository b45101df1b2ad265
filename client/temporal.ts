/** Temporal connection + client for admin tools, the HTTP API and the platform client library. */
import { Client, Connection } from '@temporalio/client';

export interface TemporalSettings {
  address: string;
  namespace: string;
  taskQueue: string;
}

export async function connectTemporal(settings: TemporalSettings): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({ address: settings.address });
  return { connection, client: new Client({ connection, namespace: settings.namespace }) };
}
