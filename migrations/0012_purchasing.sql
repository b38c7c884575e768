CREATE SEQUENCE "public"."purchase_order_numbers" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1000001 CACHE 1;--> statement-breakpoint
ALTER TABLE "purchase_orders" ADD COLUMN "number" text DEFAULT 'PO-' || nextval('purchase_order_numbers') NOT NULL;--> statement-breakpoint
ALTER TABLE "purchase_orders" ADD COLUMN "unit_cost" bigint;--> statement-breakpoint
UPDATE "purchase_orders" AS po SET "unit_cost" = p."unit_cost" FROM "products" AS p WHERE p."sku" = po."sku";--> statement-breakpoint
ALTER TABLE "purchase_orders" ALTER COLUMN "unit_cost" SET NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "purchase_orders_number" ON "purchase_orders" USING btree ("number");--> statement-breakpoint
ALTER TABLE "purchase_orders" ADD CONSTRAINT "purchase_orders_unit_cost_non_negative" CHECK ("purchase_orders"."unit_cost" >= 0);
