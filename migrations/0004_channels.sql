CREATE TABLE "channel_sku_aliases" (
	"partner" text NOT NULL,
	"alias" text NOT NULL,
	"sku" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "channel_sku_aliases_partner_alias_pk" PRIMARY KEY("partner","alias")
);
--> statement-breakpoint
ALTER TABLE "channel_sku_aliases" ADD CONSTRAINT "channel_sku_aliases_sku_products_sku_fk" FOREIGN KEY ("sku") REFERENCES "public"."products"("sku") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "partner" text;--> statement-breakpoint
DROP INDEX "orders_channel_external_id";--> statement-breakpoint
-- Two partners of one channel may use the same order numbers: the partner is part of the key.
CREATE UNIQUE INDEX "orders_channel_partner_external_id" ON "orders" USING btree ("channel",coalesce("partner", ''),"external_id");--> statement-breakpoint
CREATE INDEX "orders_partner" ON "orders" USING btree ("partner","created_at");
