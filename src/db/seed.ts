import { and, eq, sql } from 'drizzle-orm';
import { receive } from '../inventory/stock-ledger';
import type { Db } from './client';
import { channelSkuAliases, inventoryLevels, products, warehouses } from './schema';

// A small demo catalogue so that `npm start` on a fresh machine can take orders at once.
// Written only into an empty catalogue, and at most once (stock receipts are keyed).

export const DEMO_WAREHOUSES = [
  { code: 'BER-1', name: 'Berlin fulfilment centre', region: 'BE', country: 'DE', postalCode: '10115' },
  { code: 'MUC-1', name: 'Munich fulfilment centre', region: 'BY', country: 'DE', postalCode: '80331' },
  { code: 'RTM-1', name: 'Rotterdam hub', region: 'ZH', country: 'NL', postalCode: '3011 AA' },
];

export const DEMO_PRODUCTS = [
  { sku: 'TEA-OOLONG-100', name: 'Oolong tea', spec: '100 g tin', unitPrice: 1290, unitCost: 540, weightGrams: 180, lengthCm: 8, widthCm: 8, heightCm: 12, handling: 'standard' as const },
  { sku: 'MUG-STONE-350', name: 'Stoneware mug', spec: '350 ml, slate grey', unitPrice: 1850, unitCost: 620, weightGrams: 420, lengthCm: 12, widthCm: 10, heightCm: 11, handling: 'fragile' as const },
  { sku: 'KETTLE-GLASS-1L', name: 'Glass kettle', spec: '1 l, stove-top', unitPrice: 4900, unitCost: 2100, weightGrams: 950, lengthCm: 22, widthCm: 16, heightCm: 20, handling: 'fragile' as const },
  { sku: 'CHAIR-OAK', name: 'Oak dining chair', spec: 'natural oil finish', unitPrice: 18900, unitCost: 9200, weightGrams: 7200, lengthCm: 52, widthCm: 48, heightCm: 90, handling: 'standard' as const },
  { sku: 'LAMP-DESK-LED', name: 'LED desk lamp', spec: 'warm white, USB-C', unitPrice: 6400, unitCost: 2800, weightGrams: 1100, lengthCm: 40, widthCm: 18, heightCm: 12, handling: 'standard' as const },
  { sku: 'HONEY-ACACIA-500', name: 'Acacia honey', spec: '500 g jar', unitPrice: 990, unitCost: 410, weightGrams: 700, lengthCm: 9, widthCm: 9, heightCm: 12, handling: 'perishable' as const },
];

const DEMO_STOCK: Record<string, Record<string, number>> = {
  'BER-1': { 'TEA-OOLONG-100': 400, 'MUG-STONE-350': 250, 'KETTLE-GLASS-1L': 60, 'LAMP-DESK-LED': 80, 'HONEY-ACACIA-500': 120 },
  'MUC-1': { 'TEA-OOLONG-100': 200, 'MUG-STONE-350': 100, 'CHAIR-OAK': 24, 'LAMP-DESK-LED': 40 },
  'RTM-1': { 'TEA-OOLONG-100': 300, 'CHAIR-OAK': 40, 'KETTLE-GLASS-1L': 30 },
};

/** The demo marketplace's own names for our SKUs (README, "Channels and adapters"). */
export const DEMO_SKU_ALIASES = [
  { partner: 'marketplace', alias: 'MKT-OOLONG-TIN', sku: 'TEA-OOLONG-100' },
  { partner: 'marketplace', alias: 'MKT-MUG-SLATE', sku: 'MUG-STONE-350' },
  { partner: 'marketplace', alias: 'MKT-KETTLE-1000', sku: 'KETTLE-GLASS-1L' },
  { partner: 'marketplace', alias: 'MKT-LAMP-USBC', sku: 'LAMP-DESK-LED' },
];

/** Seeds the demo catalogue when the catalogue is empty; says whether it did. */
export async function seedDemoCatalogue(db: Db): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [{ count } = { count: 0 }] = await tx.select({ count: sql<number>`count(*)::int` }).from(products);
    if (count > 0) return false;
    await tx.insert(warehouses).values(DEMO_WAREHOUSES).onConflictDoNothing();
    await tx.insert(products).values(DEMO_PRODUCTS.map((p) => ({ ...p, currency: 'EUR' }))).onConflictDoNothing();
    await tx.insert(channelSkuAliases).values(DEMO_SKU_ALIASES).onConflictDoNothing();
    for (const [warehouseCode, stock] of Object.entries(DEMO_STOCK)) {
      for (const [sku, onHand] of Object.entries(stock)) {
        // Opening stock is a receipt like any other, so the levels equal the ledger from the start.
        await receive(tx, { sku, warehouseCode, quantity: onHand, reference: 'demo seed', key: `seed:${warehouseCode}:${sku}` });
        await tx
          .update(inventoryLevels)
          .set({ safetyThreshold: Math.ceil(onHand / 10) })
          .where(and(eq(inventoryLevels.sku, sku), eq(inventoryLevels.warehouseCode, warehouseCode)));
      }
    }
    return true;
  });
}
