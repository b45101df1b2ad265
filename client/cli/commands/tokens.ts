/**
 * `psa-connector tokens create|revoke|list`: API tokens, run by the operator against the
 * database itself (MONGO_URL, as the worker and API use it) — so the first admin token can be
 * made before any token exists, and a lost one revoked without the API. Each change is written
 * to the audit log as `cli:<user>@<host>`. The token is printed once, on create.
 */
import os from 'node:os';
import type { Command } from 'commander';
import { ConflictError, connectMongo, createApiTokenRepository, createAuditLog, ensureIndexes, NotFoundError, ROLES, StoreInputError } from '../../../activities/store';
import { configSchema } from '../../../runtime/config';
import { CliFailure, EXIT_FAILED, invalidInput } from '../api-client';
import { list } from '../command-kit';

const who = () => `cli:${os.userInfo().username}@${os.hostname()}`;

/** Runs `fn` against the database of MONGO_URL; prints its answer as JSON. */
function withDatabase<A extends unknown[]>(fn: (repos: { tokens: ReturnType<typeof createApiTokenRepository>; audit: ReturnType<typeof createAuditLog> }, ...args: A) => Promise<unknown>) {
  return async (...args: A): Promise<void> => {
    try {
      const url = configSchema.shape.MONGO_URL.safeParse(process.env.MONGO_URL || undefined);
      if (!url.success) throw invalidInput({ path: 'MONGO_URL', message: url.error.issues[0]!.message });
      let conn: Awaited<ReturnType<typeof connectMongo>>;
      try {
        conn = await connectMongo(url.data);
      } catch (e) {
        throw new CliFailure([`psa-connector: cannot reach the database at MONGO_URL (${(e as Error).message}); tokens commands run against the connector's MongoDB`], EXIT_FAILED);
      }
      try {
        await ensureIndexes(conn.db);
        const out = await fn({ tokens: createApiTokenRepository(conn.db), audit: createAuditLog(conn.db) }, ...args);
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      } finally {
        await conn.client.close();
      }
    } catch (e) {
      const failure =
        e instanceof CliFailure ? e
        : e instanceof StoreInputError ? invalidInput(...e.problems)
        : e instanceof ConflictError || e instanceof NotFoundError ? new CliFailure([`psa-connector: ${e.message}`], EXIT_FAILED)
        : null;
      if (!failure) throw e;
      process.stderr.write(failure.lines.map((l) => `${l}\n`).join(''));
      process.exitCode = failure.exitCode;
    }
  };
}

export function register(program: Command): void {
  const tokens = program.command('tokens').description('API tokens, managed on the database directly (MONGO_URL); docs/security.md.');

  tokens
    .command('create')
    .description('Create a token; it is printed once — store it (e.g. PSA_CONNECTOR_TOKEN or the config file).')
    .requiredOption('--name <name>', 'who uses it: recorded as the actor of every change made with it')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--connections <ids>', 'limit the token to these connections (comma separated)')
    .action(
      withDatabase(async ({ tokens: repo, audit }, o: { name: string; role: string; connections?: string }) => {
        const connections = list(o.connections);
        const { token, view } = await repo.create({ name: o.name, role: o.role as never, ...(connections ? { connections } : {}) }, who());
        await audit.record({ who: who(), action: 'tokens create', target: { name: view.name, role: view.role }, outcome: 'ok' });
        process.stderr.write('psa-connector: the token is shown only now; store it safely\n');
        return { ...view, token };
      }),
    );

  tokens
    .command('revoke <name>')
    .description('Revoke a token at once (it stays listed with --revoked).')
    .action(
      withDatabase(async ({ tokens: repo, audit }, name: string) => {
        const view = await repo.revoke(name, who());
        await audit.record({ who: who(), action: 'tokens revoke', target: { name }, outcome: 'ok' });
        return view;
      }),
    );

  tokens
    .command('list')
    .description('Tokens with role, connections, creator and last use (never the token).')
    .option('--revoked', 'include revoked tokens')
    .action(withDatabase(async ({ tokens: repo }, o: { revoked?: boolean }) => ({ items: await repo.list({ includeRevoked: o.revoked === true }) })));
}
