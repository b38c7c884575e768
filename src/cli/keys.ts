// `npm run keys -- create --role integrator --label "Shop A"` | `list` | `revoke <id>`:
// API keys issued and revoked in the database in DATABASE_URL (or the embedded one),
// honoured by running APIs at once (a revoked key within KEY_CACHE_MS at most).
import { parseArgs } from 'node:util';
import { issueApiKey, listApiKeys, revokeApiKey } from '../api/auth';
import { ConfigError, loadConfig, ROLES, type Role } from '../config';
import { openDatabase, type Db } from '../db/client';
import { provideDatabase } from '../db/provide';

const USAGE = `usage: npm run keys -- create --role <${ROLES.join('|')}> --label <text>
       npm run keys -- list
       npm run keys -- revoke <id>`;

class UsageError extends Error {}

/** Runs one keys command against the database; answers what to print. */
export async function keysCommand(db: Db, argv: readonly string[]): Promise<string> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { role: { type: 'string' }, label: { type: 'string' }, json: { type: 'boolean' } },
    allowPositionals: true,
  });
  const [command, ...rest] = positionals;
  switch (command) {
    case 'create': {
      const role = values.role as Role | undefined;
      if (!role || !ROLES.includes(role)) throw new UsageError(`--role: one of ${ROLES.join(', ')}`);
      const label = values.label?.trim();
      if (!label) throw new UsageError('--label: what the key is for');
      const issued = await issueApiKey(db, { role, label });
      if (values.json) return JSON.stringify(issued);
      return `created key ${issued.id} (${issued.role}, "${issued.label}"); it is shown only now:\n${issued.key}`;
    }
    case 'list': {
      const keys = await listApiKeys(db);
      if (values.json) return JSON.stringify(keys);
      return keys
        .map((k) => `${k.id}  ${k.role.padEnd(10)}  ${k.revokedAt ? `revoked ${k.revokedAt}` : 'active'}  ${k.label}`)
        .join('\n');
    }
    case 'revoke': {
      const id = rest[0];
      if (!id) throw new UsageError('revoke: which key id (see list)');
      const revoked = await revokeApiKey(db, id);
      if (!revoked) throw new UsageError(`no API key ${id}`);
      return values.json ? JSON.stringify(revoked) : `revoked key ${revoked.id} at ${revoked.revokedAt}`;
    }
    default:
      throw new UsageError(USAGE);
  }
}

async function main(): Promise<void> {
  const provided = await provideDatabase(loadConfig(), { log: (message) => console.error(message) });
  try {
    const database = await openDatabase({ kind: 'postgres', url: provided.url });
    try {
      await database.migrate();
      console.log(await keysCommand(database.db, process.argv.slice(2)));
    } finally {
      await database.close();
    }
  } finally {
    await provided.stop();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    const usage = err instanceof UsageError || err instanceof ConfigError || (err instanceof Error && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'));
    console.error(usage ? (err as Error).message : err);
    process.exit(usage ? 2 : 1);
  });
}
