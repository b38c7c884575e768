// `node --import tsx src/cli/seed.ts`: migrates the database in DATABASE_URL (or the
// embedded one) and writes the demo catalogue into it when its catalogue is empty.
import { ConfigError, loadConfig } from '../config';
import { openDatabase } from '../db/client';
import { provideDatabase } from '../db/provide';
import { seedDemoCatalogue } from '../db/seed';

async function main(): Promise<void> {
  const provided = await provideDatabase(loadConfig(), { log: (message) => console.log(message) });
  try {
    const database = await openDatabase({ kind: 'postgres', url: provided.url });
    try {
      await database.migrate();
      const seeded = await seedDemoCatalogue(database.db);
      console.log(seeded ? 'seeded the demo catalogue' : 'the catalogue has products already: left as it is');
    } finally {
      await database.close();
    }
  } finally {
    await provided.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
