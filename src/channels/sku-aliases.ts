import { and, asc, eq, inArray, notInArray, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client';
import { channelSkuAliases, products } from '../db/schema';

// A partner's own names for our SKUs, kept per partner in channel_sku_aliases. The
// marketplace adapter maps through them; operators keep them with
// `PUT /v1/channels/{partner}/sku-aliases`.

export interface SkuAlias {
  alias: string;
  sku: string;
}

/** The partner's aliases, for its mapper. */
export async function loadSkuAliases(db: Db | Tx, partner: string): Promise<Map<string, string>> {
  const rows = await db.select({ alias: channelSkuAliases.alias, sku: channelSkuAliases.sku }).from(channelSkuAliases).where(eq(channelSkuAliases.partner, partner));
  return new Map(rows.map((r) => [r.alias, r.sku]));
}

export async function listSkuAliases(db: Db | Tx, partner: string): Promise<SkuAlias[]> {
  return db
    .select({ alias: channelSkuAliases.alias, sku: channelSkuAliases.sku })
    .from(channelSkuAliases)
    .where(eq(channelSkuAliases.partner, partner))
    .orderBy(asc(channelSkuAliases.alias));
}

export type AliasReplacement = { kind: 'replaced'; aliases: SkuAlias[] } | { kind: 'unknown-skus'; skus: string[] };

/**
 * The partner's aliases become exactly these: others are removed. Every SKU must be in
 * our catalogue, or nothing changes. Orders already placed keep the SKUs they were mapped to.
 */
export async function replaceSkuAliases(db: Db, partner: string, aliases: readonly SkuAlias[]): Promise<AliasReplacement> {
  return db.transaction(async (tx) => {
    const skus = [...new Set(aliases.map((a) => a.sku))];
    const known = new Set(
      skus.length === 0 ? [] : (await tx.select({ sku: products.sku }).from(products).where(inArray(products.sku, skus))).map((p) => p.sku),
    );
    const unknown = skus.filter((s) => !known.has(s));
    if (unknown.length > 0) return { kind: 'unknown-skus', skus: unknown };
    const names = aliases.map((a) => a.alias);
    await tx
      .delete(channelSkuAliases)
      .where(names.length === 0 ? eq(channelSkuAliases.partner, partner) : and(eq(channelSkuAliases.partner, partner), notInArray(channelSkuAliases.alias, names)));
    if (aliases.length > 0) {
      await tx
        .insert(channelSkuAliases)
        .values(aliases.map((a) => ({ partner, alias: a.alias, sku: a.sku })))
        .onConflictDoUpdate({
          target: [channelSkuAliases.partner, channelSkuAliases.alias],
          set: { sku: sql`excluded.sku`, updatedAt: sql`now()` },
        });
    }
    return { kind: 'replaced', aliases: await listSkuAliases(tx, partner) };
  });
}
