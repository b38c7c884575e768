// What a failed query says, without the data it carried, and what to do about the
// failures a new installation meets. Recognised by shape, not by class: the same error
// class loaded twice (ESM and CJS copies of drizzle) makes `instanceof` lie.

/** A PostgreSQL error as the `postgres` driver reports it (a SQLSTATE in `code`). */
export interface PostgresErrorLike {
  message: string;
  code: string;
  table_name?: string;
  schema_name?: string;
}

/** drizzle's DrizzleQueryError, by shape: the statement, its parameters and the driver's error. */
export interface QueryErrorLike {
  message: string;
  query: string;
  params: unknown[];
  cause?: unknown;
}

export function isQueryError(err: unknown): err is QueryErrorLike {
  if (!(err instanceof Error)) return false;
  const e = err as Error & Partial<QueryErrorLike>;
  return typeof e.query === 'string' && Array.isArray(e.params);
}

export function asPostgresError(err: unknown): PostgresErrorLike | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as Error & { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? (err as Error & PostgresErrorLike) : undefined;
}

const VERBS: Record<string, string> = { select: 'SELECT', insert: 'INSERT', update: 'UPDATE', delete: 'DELETE' };

/**
 * The database's reason in words that say what to fix: for a missing privilege (SQLSTATE
 * 42501) which one, on what, and the GRANT that adds it. `statement` is the SQL (no
 * parameters) that failed; `user` the database user, when known.
 */
/** Errors no retry heals (a missing privilege, table or column): a person has to act. */
export function needsAPerson(cause: PostgresErrorLike): boolean {
  return cause.code.startsWith('42');
}

export function describePostgresError(cause: PostgresErrorLike, statement?: string, user?: string): string {
  const base = `${cause.message} (SQLSTATE ${cause.code})`;
  if (cause.code !== '42501') return base;
  const who = user ?? "orderflow's database user (the one in DATABASE_URL)";
  const grantee = user ? quoteIdent(user) : '<that user>';
  const owner = /must be owner of (table|sequence|schema|function|type) ([\w."]+)/i.exec(cause.message);
  if (owner) {
    return `${base}: ${who} must own ${owner[1]!.toLowerCase()} ${owner[2]} to change it. Run orderflow as the database's owner (CREATE DATABASE … OWNER ${grantee}), or ALTER ${owner[1]!.toUpperCase()} ${owner[2]} OWNER TO ${grantee}`;
  }
  const database = /permission denied for database ([\w"]+)/i.exec(cause.message);
  if (database) {
    return `${base}: ${who} lacks CREATE on database ${database[1]} (the migrations create a schema): GRANT CREATE ON DATABASE ${database[1]} TO ${grantee}, or make it the owner: CREATE DATABASE … OWNER ${grantee}`;
  }
  const schema = /permission denied for schema ([\w"]+)/i.exec(cause.message);
  if (schema) {
    const privilege = /^\s*(create|alter)\b/i.test(statement ?? '') || !statement ? 'CREATE' : 'USAGE';
    return `${base}: ${who} lacks ${privilege} on schema ${schema[1]}: GRANT ${privilege} ON SCHEMA ${schema[1]} TO ${grantee}`;
  }
  const object = /permission denied for (table|sequence) ([\w."]+)/i.exec(cause.message);
  if (object) {
    const verb = VERBS[/^\s*(\w+)/.exec(statement ?? '')?.[1]?.toLowerCase() ?? ''];
    const privilege = object[1]!.toLowerCase() === 'sequence' ? 'USAGE' : (verb ?? 'SELECT, INSERT, UPDATE, DELETE');
    const kind = object[1]!.toUpperCase();
    return `${base}: ${who} lacks ${privilege} on ${object[1]!.toLowerCase()} ${object[2]}: GRANT ${privilege} ON ${kind} ${object[2]} TO ${grantee}`;
  }
  return `${base}: ${who} lacks a privilege this needs; the README's "Your own Temporal and Postgres" says how to create the user and database`;
}

/**
 * A query error with its parameters dropped and a permission problem explained, as an
 * Error whose message names what failed (`while` says during what). Anything else passes.
 */
export function explainDatabaseError(err: unknown, while_: string, user?: string): unknown {
  const cause = isQueryError(err) ? asPostgresError(err.cause) : asPostgresError(err);
  if (!cause) return err;
  const statement = isQueryError(err) ? err.query : undefined;
  return new Error(`database error while ${while_}: ${describePostgresError(cause, statement, user)}`);
}

function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}
