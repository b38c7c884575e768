CREATE TABLE "demand_history" (
	"date" date NOT NULL,
	"sku" text NOT NULL,
	"warehouse_code" text NOT NULL,
	"quantity" integer NOT NULL,
	"source" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "demand_history_date_sku_warehouse_code_source_pk" PRIMARY KEY("date","sku","warehouse_code","source"),
	CONSTRAINT "demand_history_quantity_non_negative" CHECK ("demand_history"."quantity" >= 0)
);
--> statement-breakpoint
ALTER TABLE "demand_history" ADD CONSTRAINT "demand_history_sku_products_sku_fk" FOREIGN KEY ("sku") REFERENCES "public"."products"("sku") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "demand_history" ADD CONSTRAINT "demand_history_warehouse_code_warehouses_code_fk" FOREIGN KEY ("warehouse_code") REFERENCES "public"."warehouses"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "demand_history_sku_warehouse_date" ON "demand_history" USING btree ("sku","warehouse_code","date");
