-- Movement kinds take the names the process deck uses (reservation, shipment,
-- adjustment); the ledger is append-only, so its guard steps aside for this one rewrite
-- (same figures, same keys: levels still equal the ledger), and a check keeps the names.
ALTER TABLE "stock_movements" DISABLE TRIGGER "stock_movements_append_only";
--> statement-breakpoint
UPDATE "stock_movements" SET "kind" = CASE "kind" WHEN 'reserve' THEN 'reservation' WHEN 'ship' THEN 'shipment' WHEN 'adjust' THEN 'adjustment' ELSE "kind" END
  WHERE "kind" IN ('reserve', 'ship', 'adjust');
--> statement-breakpoint
ALTER TABLE "stock_movements" ENABLE TRIGGER "stock_movements_append_only";
--> statement-breakpoint
ALTER TABLE "stock_movements" ADD CONSTRAINT "stock_movements_kind" CHECK ("stock_movements"."kind" in ('receipt', 'reservation', 'release', 'shipment', 'adjustment', 'transfer_out', 'transfer_in', 'return', 'write_off'));
--> statement-breakpoint
-- A partial delivery's rest (R1.8): the lines back-ordered after the first part shipped, and the fulfilment they ship as.
ALTER TABLE "orders" ADD COLUMN "back_ordered_rest" jsonb;
--> statement-breakpoint
CREATE INDEX "orders_back_ordered_rest" ON "orders" USING btree ("created_at") WHERE "orders"."back_ordered_rest" is not null;
