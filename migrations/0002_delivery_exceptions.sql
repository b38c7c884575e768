CREATE TABLE "delivery_confirmations" (
	"order_id" uuid PRIMARY KEY NOT NULL,
	"address_confirmed" boolean NOT NULL,
	"contact_phone" text,
	"window_from" timestamp with time zone NOT NULL,
	"window_to" timestamp with time zone NOT NULL,
	"rescheduled" boolean DEFAULT false NOT NULL,
	"confirmed_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "improvements" (
	"id" uuid PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"finding" jsonb NOT NULL,
	"action" text NOT NULL,
	"owner" text NOT NULL,
	"due_date" date NOT NULL,
	"status" text DEFAULT 'planned' NOT NULL,
	"started_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "incidents" (
	"id" uuid PRIMARY KEY NOT NULL,
	"order_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"reported_by" text NOT NULL,
	"detail" text,
	"shipment_ids" jsonb NOT NULL,
	"carrier" text,
	"lane" text,
	"new_eta" date,
	"options" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"claim" jsonb,
	"resolution" jsonb,
	"opened_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp (3) with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ship_date_proposals" (
	"id" uuid PRIMARY KEY NOT NULL,
	"order_id" uuid NOT NULL,
	"proposed_ship_date" date NOT NULL,
	"previous_ship_date" date NOT NULL,
	"reason" text NOT NULL,
	"status" text DEFAULT 'proposed' NOT NULL,
	"proposed_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"answered_at" timestamp (3) with time zone
);
--> statement-breakpoint
ALTER TABLE "reservations" ADD COLUMN "fulfilment" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "reservations" DROP CONSTRAINT "reservations_order_id_line_warehouse_code_pk";--> statement-breakpoint
ALTER TABLE "reservations" ADD CONSTRAINT "reservations_order_id_fulfilment_line_warehouse_code_pk" PRIMARY KEY("order_id","fulfilment","line","warehouse_code");--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD COLUMN "kind" text DEFAULT 'settlement' NOT NULL;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD COLUMN "incident_id" uuid;--> statement-breakpoint
ALTER TABLE "shipments" ADD COLUMN "promised_delivery_date" date;--> statement-breakpoint
ALTER TABLE "shipments" ADD COLUMN "fulfilment" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "shipments" ADD COLUMN "replaces_incident_id" uuid;--> statement-breakpoint
ALTER TABLE "shipments" ADD COLUMN "closed_as" text;--> statement-breakpoint
ALTER TABLE "shipments" ADD COLUMN "handed_over_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "stock_movements" ADD COLUMN "quantity" integer;--> statement-breakpoint
ALTER TABLE "carrier_sandbox"."tracking_events" ADD COLUMN "status_detail" text;--> statement-breakpoint
ALTER TABLE "carrier_sandbox"."tracking_events" ADD COLUMN "new_eta" text;--> statement-breakpoint
ALTER TABLE "carrier_sandbox"."tracking_events" ADD COLUMN "cancelled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "carrier_sandbox"."shipments" ADD COLUMN "fate" jsonb;--> statement-breakpoint
ALTER TABLE "carrier_sandbox"."shipments" ADD COLUMN "destination" jsonb;--> statement-breakpoint
ALTER TABLE "carrier_sandbox"."shipments" ADD COLUMN "voided_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "carrier_sandbox"."shipments" ADD COLUMN "picked_up_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "delivery_confirmations" ADD CONSTRAINT "delivery_confirmations_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ship_date_proposals" ADD CONSTRAINT "ship_date_proposals_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "improvements_created" ON "improvements" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "incidents_order" ON "incidents" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "incidents_opened" ON "incidents" USING btree ("opened_at","id");--> statement-breakpoint
CREATE INDEX "incidents_kind_status" ON "incidents" USING btree ("kind","status");--> statement-breakpoint
CREATE INDEX "ship_date_proposals_order" ON "ship_date_proposals" USING btree ("order_id");