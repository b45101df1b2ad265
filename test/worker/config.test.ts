import { parseConfig } from '../../worker/config';

const key = Buffer.alloc(32, 7).toString('base64');

describe('worker configuration from the environment', () => {
  it('gives documented defaults when only the secrets key is set', () => {
    const c = parseConfig({ SECRETS_KEY: key });
    expect(c).toMatchObject({ TEMPORAL_ADDRESS: '127.0.0.1:7233', TEMPORAL_TASK_QUEUE: 'psa-connector', API_PORT: 8080 });
    expect(c.MONGO_URL).toMatch(/^mongodb:\/\/127\.0\.0\.1:27018\//);
  });

  it.each([
    [{ MONGO_URL: 'postgres://x' }, /^Configuration error: MONGO_URL must be a mongodb:\/\/ .* \(got "postgres:\/\/x"\)$/],
    [{ MONGO_URL: 'not a url' }, /^Configuration error: MONGO_URL must be a mongodb/],
    [{ API_PORT: '99999' }, /^Configuration error: API_PORT must be between 1 and 65535 \(got "99999"\)$/],
    [{ API_PORT: 'eighty' }, /^Configuration error: API_PORT must be a port number/],
    [{ TEMPORAL_ADDRESS: 'localhost' }, /^Configuration error: TEMPORAL_ADDRESS must be host:port/],
    [{ SMTP_URL: 'http://mail' }, /^Configuration error: SMTP_URL must be an smtp:\/\//],
  ])('rejects %j with one line naming the variable', (bad, message) => {
    expect(() => parseConfig({ SECRETS_KEY: key, ...bad })).toThrow(message);
    try {
      parseConfig({ SECRETS_KEY: key, ...bad });
    } catch (e) {
      expect((e as Error).message.split('\n')).toHaveLength(1);
    }
  });

  it('requires the secrets key and never echoes a bad one', () => {
    expect(() => parseConfig({})).toThrow('Configuration error: SECRETS_KEY is required');
    try {
      parseConfig({ SECRETS_KEY: 'hunter2-not-base64!' });
      throw new Error('expected a config error');
    } catch (e) {
      expect((e as Error).message).toMatch(/^Configuration error: SECRETS_KEY must be 32 random bytes/);
      expect((e as Error).message).not.toContain('hunter2');
    }
  });
});
