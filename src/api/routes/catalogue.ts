import { and, asc, eq, gt, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { products, warehouses } from '../../db/schema';
import { decodeCursor, pageOf } from '../keyset';
import { HttpProblem } from '../problem';
import { route } from '../route';
import { ProductBody, ProductsQuery, WarehouseBody, WarehousesQuery } from '../schemas';

// The catalogue VERIFY checks orders against (R1.3), and the warehouses stock lives in.

const EVERYONE = ['integrator', 'operator', 'finance', 'carrier'] as const;

type ProductRow = typeof products.$inferSelect;

export function productJson(p: ProductRow) {
  return {
    sku: p.sku,
    name: p.name,
    spec: p.spec,
    unitPrice: p.unitPrice,
    unitCost: p.unitCost,
    currency: p.currency,
    weightGrams: p.weightGrams,
    dimensionsCm: { length: p.lengthCm, width: p.widthCm, height: p.heightCm },
    handling: p.handling,
    active: p.active,
    substitutes: p.substitutes,
  };
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.code === '23505' || e?.cause?.code === '23505';
}

export function catalogueRoutes(deps: { db: Db }) {
  const { db } = deps;
  return [
    route({
      method: 'post',
      path: '/v1/products',
      tag: 'catalogue',
      summary: 'Add a product to the catalogue',
      access: ['operator'],
      body: ProductBody,
      responses: { 201: 'the product', 409: 'a product with this SKU exists' },
      async handler({ res, body }) {
        try {
          const [row] = await db
            .insert(products)
            .values({
              sku: body.sku,
              name: body.name,
              spec: body.spec,
              unitPrice: body.unitPrice,
              unitCost: body.unitCost,
              currency: body.currency,
              weightGrams: body.weightGrams,
              lengthCm: body.dimensionsCm.length,
              widthCm: body.dimensionsCm.width,
              heightCm: body.dimensionsCm.height,
              handling: body.handling,
              active: body.active,
              substitutes: body.substitutes,
            })
            .returning();
          res.status(201).location(`/v1/products/${row!.sku}`).json(productJson(row!));
        } catch (err) {
          if (isUniqueViolation(err)) {
            throw new HttpProblem(409, 'Conflict', `a product with SKU ${body.sku} exists`, { errors: [{ field: 'sku', message: 'already exists' }] });
          }
          throw err;
        }
      },
    }),

    route({
      method: 'get',
      path: '/v1/products',
      tag: 'catalogue',
      summary: 'The catalogue',
      access: EVERYONE,
      query: ProductsQuery,
      responses: { 200: '{ data: [product], nextCursor }' },
      async handler({ res, query }) {
        const where: SQL[] = [];
        if (query.sku) where.push(eq(products.sku, query.sku));
        if (query.active !== undefined) where.push(eq(products.active, query.active));
        if (query.cursor) where.push(gt(products.sku, decodeCursor(query.cursor, 1)[0]!));
        const rows = await db.select().from(products).where(and(...where)).orderBy(asc(products.sku)).limit(query.limit + 1);
        res.json(pageOf(rows, query.limit, (p) => [p.sku], productJson));
      },
    }),

    route({
      method: 'post',
      path: '/v1/warehouses',
      tag: 'catalogue',
      summary: 'Add a warehouse',
      access: ['operator'],
      body: WarehouseBody,
      responses: { 201: 'the warehouse', 409: 'a warehouse with this code exists' },
      async handler({ res, body }) {
        try {
          const [row] = await db.insert(warehouses).values(body).returning();
          res.status(201).location(`/v1/warehouses/${row!.code}`).json(warehouseJson(row!));
        } catch (err) {
          if (isUniqueViolation(err)) {
            throw new HttpProblem(409, 'Conflict', `a warehouse with code ${body.code} exists`, { errors: [{ field: 'code', message: 'already exists' }] });
          }
          throw err;
        }
      },
    }),

    route({
      method: 'get',
      path: '/v1/warehouses',
      tag: 'catalogue',
      summary: 'The warehouses',
      access: EVERYONE,
      query: WarehousesQuery,
      responses: { 200: '{ data: [warehouse], nextCursor }' },
      async handler({ res, query }) {
        const after = query.cursor ? gt(warehouses.code, decodeCursor(query.cursor, 1)[0]!) : undefined;
        const rows = await db.select().from(warehouses).where(after).orderBy(asc(warehouses.code)).limit(query.limit + 1);
        res.json(pageOf(rows, query.limit, (w) => [w.code], warehouseJson));
      },
    }),
  ];
}

function warehouseJson(w: typeof warehouses.$inferSelect) {
  return { code: w.code, name: w.name, region: w.region, country: w.country, postalCode: w.postalCode };
}
