-- R2.4: the back-order queue judges each waiting order by the reach its own RESERVE used
-- (and the warehouses its customer agreed to a transfer from), not the reach configured
-- now. Null for orders back-ordered before: they fall back to the configured reach.
ALTER TABLE "orders" ADD COLUMN "reserve_scope" jsonb;
