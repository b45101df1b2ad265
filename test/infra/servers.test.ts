import { Connection, Client } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import nodemailer from 'nodemailer';
import { testDbUrl, testServers } from '../setup/servers';

describe('the real local servers started by the test setup', () => {
  const servers = testServers();

  it('Temporal dev server answers and has our search attributes', async () => {
    const connection = await Connection.connect({ address: servers.temporalAddress });
    try {
      const res = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      expect(Object.keys(res.customAttributes ?? {})).toEqual(expect.arrayContaining(['PsaConnectionId', 'PsaSubscriptionId', 'PsaMappingStatus']));
      const client = new Client({ connection });
      expect(client.options.namespace).toBe('default');
    } finally {
      await connection.close();
    }
  });

  it('FerretDB speaks the MongoDB protocol and enforces unique indexes (E11000)', async () => {
    const client = await MongoClient.connect(testDbUrl(servers.mongoUrl, 'infra_test'));
    try {
      const col = client.db().collection<{ key: string }>('keys');
      await col.createIndex({ key: 1 }, { unique: true });
      await col.insertOne({ key: 'a' });
      await expect(col.insertOne({ key: 'a' })).rejects.toMatchObject({ code: 11000 });
      expect(await col.countDocuments({ key: 'a' })).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('the SMTP sink keeps what nodemailer sends', async () => {
    const transport = nodemailer.createTransport(servers.smtpUrl);
    await transport.sendMail({ from: 'connector@example.test', to: 'admin@example.test', subject: 'infra check', text: 'hello' });
    const res = await fetch(`${servers.smtpApiUrl}/messages`);
    const messages = (await res.json()) as Array<{ subject: string; to: string[] }>;
    expect(messages).toContainEqual(expect.objectContaining({ subject: 'infra check', to: ['admin@example.test'] }));
  });
});
