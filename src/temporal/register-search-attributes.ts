import { isGrpcServiceError, type Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
// Not re-exported from the package index; the SDK's own packages import it from here too.
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { CLI_SEARCH_ATTRIBUTE_TYPE_NAMES, ORDER_SEARCH_ATTRIBUTES } from './search-attributes';

// Registers orderflow's custom search attributes on a Temporal server we did not start
// (TEMPORAL_ADDRESS), or on a dev server whose --db-filename predates an attribute: the
// CLI's --search-attribute flag silently ignores attributes that are new to an existing
// database. Idempotent and safe to run from several processes at once.

const GRPC_ALREADY_EXISTS = 6;
const VISIBLE_WITHIN_MS = 10_000;

function indexedValueType(name: string, cliType: string): number {
  const entry = Object.entries(CLI_SEARCH_ATTRIBUTE_TYPE_NAMES).find(([, cli]) => cli.toLowerCase() === cliType.toLowerCase());
  if (!entry) {
    throw new Error(`Search attribute ${name} has unknown type "${cliType}" (expected one of ${Object.values(CLI_SEARCH_ATTRIBUTE_TYPE_NAMES).join(', ')})`);
  }
  const encoded = encodeSearchAttributeIndexedValueType(entry[0] as SearchAttributeType);
  if (encoded === undefined) throw new Error(`Search attribute type ${entry[0]} has no indexed value type`);
  return encoded;
}

async function listCustom(connection: Connection, namespace: string): Promise<Record<string, number>> {
  const response = await connection.operatorService.listSearchAttributes({ namespace });
  return { ...response.customAttributes };
}

function typeName(indexed: number | undefined): string {
  const entry = Object.entries(CLI_SEARCH_ATTRIBUTE_TYPE_NAMES).find(
    ([type]) => encodeSearchAttributeIndexedValueType(type as SearchAttributeType) === indexed,
  );
  return entry ? entry[1] : `type #${String(indexed)}`;
}

/**
 * Makes sure every attribute in `attributes` (name → CLI type name, default: orderflow's
 * own) exists in `namespace` with that type. Returns the names it added. Throws if an
 * attribute exists with a different type: upserts from workflows would then fail.
 */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  attributes: Readonly<Record<string, string>> = ORDER_SEARCH_ATTRIBUTES,
): Promise<string[]> {
  const wanted = Object.entries(attributes).map(([name, type]) => ({ name, type: indexedValueType(name, type), cliType: type }));
  const existing = await listCustom(connection, namespace);

  const conflicts = wanted.filter((a) => existing[a.name] !== undefined && existing[a.name] !== a.type);
  if (conflicts.length > 0) {
    const list = conflicts.map((a) => `${a.name} is ${typeName(existing[a.name])}, orderflow needs ${a.cliType}`).join('; ');
    throw new Error(`Search attributes in namespace "${namespace}" have the wrong type: ${list}. Fix or remove them on the Temporal server.`);
  }

  const missing = wanted.filter((a) => existing[a.name] === undefined);
  if (missing.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((a) => [a.name, a.type])),
    });
  } catch (error) {
    // Another process registered them between our list and add: fine, checked below.
    if (!(isGrpcServiceError(error) && error.code === GRPC_ALREADY_EXISTS)) throw error;
  }

  // Some servers apply the change asynchronously; callers expect to use them right away.
  const deadline = Date.now() + VISIBLE_WITHIN_MS;
  for (;;) {
    const now = await listCustom(connection, namespace);
    const absent = missing.filter((a) => now[a.name] !== a.type);
    if (absent.length === 0) return missing.map((a) => a.name);
    if (Date.now() > deadline) {
      throw new Error(`Search attributes ${absent.map((a) => a.name).join(', ')} were added to "${namespace}" but are still not listed`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
