import path from 'node:path';
import { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { products } from '../../src/db/schema';
import { locateTemporalCli, TemporalCliNotFoundError } from '../../src/temporal/locator';
import { ORDER_SEARCH_ATTRIBUTE_KEYS } from '../../src/temporal/search-attributes';
import { createTestDatabase, type TestDatabaseKind } from '../helpers/database';
import { withAdmin } from '../helpers/postgres-server';

// The shared test infrastructure from global setup works: Temporal with orderflow's search
// attributes, migrated throwaway databases on both backends, and the CLI locator's error.

describe('Temporal from global setup', () => {
  let connection: Connection;
  beforeAll(async () => {
    connection = await Connection.connect({ address: inject('temporalAddress') });
  });
  afterAll(async () => {
    await connection.close();
  });

  it('answers getSystemInfo', async () => {
    const info = await connection.workflowService.getSystemInfo({});
    expect(info.serverVersion).toBeTruthy();
  });

  it('has all eight order search attributes with their types', async () => {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: inject('temporalNamespace') });
    const expected = Object.fromEntries(ORDER_SEARCH_ATTRIBUTE_KEYS.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)]));
    expect(Object.keys(expected)).toHaveLength(8);
    expect(customAttributes).toMatchObject(expected);
  });
});

describe.each<TestDatabaseKind>(['postgres', 'pglite'])('createTestDatabase on %s', (kind) => {
  it('gives a migrated database of its own, and drop() removes it', async () => {
    const first = await createTestDatabase({ kind });
    const second = await createTestDatabase({ kind });
    try {
      await first.database.db.insert(products).values({
        sku: 'SKU-1',
        name: 'Kettle',
        spec: '1.7 l',
        unitPrice: 2999,
        unitCost: 1500,
        currency: 'EUR',
        weightGrams: 900,
        lengthCm: 20,
        widthCm: 15,
        heightCm: 25,
      });
      expect(await first.database.db.select().from(products)).toHaveLength(1);
      expect(await second.database.db.select().from(products)).toHaveLength(0);
    } finally {
      await Promise.all([first.drop(), second.drop()]);
    }
    if (kind === 'postgres') {
      const names = [first.url, second.url].map((url) => decodeURIComponent(new URL(url as string).pathname.slice(1)));
      const left = await withAdmin(inject('databaseUrl'), (sql) => sql`select datname from pg_database where datname in ${sql(names)}`);
      expect(left).toHaveLength(0);
    }
  });
});

describe('locateTemporalCli', () => {
  it('rejects a TEMPORAL_CLI_PATH that does not exist with the message listing every option', async () => {
    const bogus = path.join(__dirname, 'no-such-temporal');
    const error = await locateTemporalCli({ cliPath: bogus, projectDir: path.resolve(__dirname, '../..') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemporalCliNotFoundError);
    const message = (error as Error).message;
    expect(message).toContain(`TEMPORAL_CLI_PATH=${bogus}: no such file`);
    for (const option of ['TEMPORAL_ADDRESS', 'TEMPORAL_CLI_PATH', 'PATH', '.temporal/bin/temporal', 'sdk-download', 'pip install']) {
      expect(message).toContain(option);
    }
  });
});
