ALTER TABLE "products" ADD COLUMN "supplier" text;--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "lead_time_days" integer;--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "expedite_lead_time_days" integer;--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "expedite_cost" bigint;--> statement-breakpoint
ALTER TABLE "inventory_levels" ADD COLUMN "reorder_quantity" integer;--> statement-breakpoint
CREATE TABLE "stock_alerts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"sku" text NOT NULL,
	"warehouse_code" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"safety_stock" integer NOT NULL,
	"available" integer NOT NULL,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"closed_at" timestamp with time zone,
	"restock_ms" bigint,
	"replenishment_workflow_id" text,
	"replenishment_started_at" timestamp with time zone,
	"flagged_at" timestamp with time zone,
	"flag_reason" text
);
--> statement-breakpoint
CREATE TABLE "purchase_orders" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"sku" text NOT NULL,
	"warehouse_code" text NOT NULL,
	"quantity" integer NOT NULL,
	"supplier" text NOT NULL,
	"expedited" boolean DEFAULT false NOT NULL,
	"expedite_cost" bigint,
	"currency" text NOT NULL,
	"lead_time_days" integer NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"expected_at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone,
	"alert_id" uuid,
	"idempotency_key" text NOT NULL,
	"flagged_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "purchase_orders_quantity_positive" CHECK ("purchase_orders"."quantity" > 0)
);
--> statement-breakpoint
CREATE TABLE "stock_transfers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"sku" text NOT NULL,
	"from_warehouse" text NOT NULL,
	"to_warehouse" text NOT NULL,
	"quantity" integer NOT NULL,
	"status" text DEFAULT 'in_transit' NOT NULL,
	"expected_at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone,
	"alert_id" uuid,
	"idempotency_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stock_transfers_quantity_positive" CHECK ("stock_transfers"."quantity" > 0),
	CONSTRAINT "stock_transfers_two_warehouses" CHECK ("stock_transfers"."from_warehouse" <> "stock_transfers"."to_warehouse")
);
--> statement-breakpoint
ALTER TABLE "stock_alerts" ADD CONSTRAINT "stock_alerts_sku_products_sku_fk" FOREIGN KEY ("sku") REFERENCES "public"."products"("sku") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stock_alerts" ADD CONSTRAINT "stock_alerts_warehouse_code_warehouses_code_fk" FOREIGN KEY ("warehouse_code") REFERENCES "public"."warehouses"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "purchase_orders" ADD CONSTRAINT "purchase_orders_sku_products_sku_fk" FOREIGN KEY ("sku") REFERENCES "public"."products"("sku") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "purchase_orders" ADD CONSTRAINT "purchase_orders_warehouse_code_warehouses_code_fk" FOREIGN KEY ("warehouse_code") REFERENCES "public"."warehouses"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "purchase_orders" ADD CONSTRAINT "purchase_orders_alert_id_stock_alerts_id_fk" FOREIGN KEY ("alert_id") REFERENCES "public"."stock_alerts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stock_transfers" ADD CONSTRAINT "stock_transfers_sku_products_sku_fk" FOREIGN KEY ("sku") REFERENCES "public"."products"("sku") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stock_transfers" ADD CONSTRAINT "stock_transfers_from_warehouse_warehouses_code_fk" FOREIGN KEY ("from_warehouse") REFERENCES "public"."warehouses"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stock_transfers" ADD CONSTRAINT "stock_transfers_to_warehouse_warehouses_code_fk" FOREIGN KEY ("to_warehouse") REFERENCES "public"."warehouses"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stock_transfers" ADD CONSTRAINT "stock_transfers_alert_id_stock_alerts_id_fk" FOREIGN KEY ("alert_id") REFERENCES "public"."stock_alerts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "stock_alerts_one_open" ON "stock_alerts" USING btree ("sku","warehouse_code") WHERE status = 'open';--> statement-breakpoint
CREATE INDEX "stock_alerts_status" ON "stock_alerts" USING btree ("status","opened_at");--> statement-breakpoint
CREATE INDEX "stock_alerts_pending_start" ON "stock_alerts" USING btree ("opened_at") WHERE status = 'open' and replenishment_started_at is null;--> statement-breakpoint
CREATE UNIQUE INDEX "purchase_orders_idempotency_key" ON "purchase_orders" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "purchase_orders_sku_warehouse" ON "purchase_orders" USING btree ("sku","warehouse_code","status");--> statement-breakpoint
CREATE UNIQUE INDEX "stock_transfers_idempotency_key" ON "stock_transfers" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "stock_transfers_to" ON "stock_transfers" USING btree ("sku","to_warehouse","status");
