CREATE TABLE "agreements" (
	"id" uuid PRIMARY KEY NOT NULL,
	"counterparty_kind" text NOT NULL,
	"counterparty_id" text NOT NULL,
	"method" text NOT NULL,
	"cycle" text NOT NULL,
	"settlement_day" text NOT NULL,
	"settlement_currency" text NOT NULL,
	"time_zone" text NOT NULL,
	"tolerance_amount" bigint DEFAULT 0 NOT NULL,
	"schedule_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "agreements_currency_iso" CHECK ("agreements"."settlement_currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "agreements_tolerance_non_negative" CHECK ("agreements"."tolerance_amount" >= 0)
);
--> statement-breakpoint
CREATE TABLE "discrepancies" (
	"id" uuid PRIMARY KEY NOT NULL,
	"settlement_id" text NOT NULL,
	"kind" text NOT NULL,
	"reference" text NOT NULL,
	"order_id" uuid,
	"ours" jsonb,
	"theirs" jsonb,
	"difference" bigint DEFAULT 0 NOT NULL,
	"currency" text NOT NULL,
	"likely_cause" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"resolution" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fx_rates" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"base" text NOT NULL,
	"quote" text NOT NULL,
	"rate" text NOT NULL,
	"source" text NOT NULL,
	"as_of" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "instalments" (
	"order_id" uuid NOT NULL,
	"number" smallint NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'due' NOT NULL,
	"dunning_notices" smallint DEFAULT 0 NOT NULL,
	"paid_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "instalments_order_id_number_pk" PRIMARY KEY("order_id","number")
);
--> statement-breakpoint
CREATE TABLE "payments" (
	"id" uuid PRIMARY KEY NOT NULL,
	"order_id" uuid NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"method" text NOT NULL,
	"reference" text NOT NULL,
	"payer_kind" text NOT NULL,
	"payer_id" text NOT NULL,
	"instalment_number" smallint,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payments_amount_positive" CHECK ("payments"."amount" > 0)
);
--> statement-breakpoint
CREATE TABLE "settlements" (
	"id" text PRIMARY KEY NOT NULL,
	"agreement_id" uuid NOT NULL,
	"period" text NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"period_end" timestamp with time zone NOT NULL,
	"status" text NOT NULL,
	"summary" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"settled_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "statements" (
	"id" uuid PRIMARY KEY NOT NULL,
	"agreement_id" uuid NOT NULL,
	"period" text NOT NULL,
	"digest" text NOT NULL,
	"format" text NOT NULL,
	"lines" jsonb NOT NULL,
	"submitted_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD COLUMN "settlement_amount" bigint;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD COLUMN "settlement_currency" text;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD COLUMN "fx_rate" text DEFAULT '1' NOT NULL;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD COLUMN "fx_rate_id" bigint;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD COLUMN "counterparty_kind" text DEFAULT 'customer' NOT NULL;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD COLUMN "counterparty_id" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD COLUMN "agreement_id" uuid;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD COLUMN "settlement_id" text;--> statement-breakpoint
-- Entries written before settlement currencies existed settled in their own currency,
-- with their order's customer: a one-off backfill past the append-only guard.
ALTER TABLE "ledger_entries" DISABLE TRIGGER ledger_entries_append_only;--> statement-breakpoint
UPDATE "ledger_entries" e SET "settlement_amount" = e."amount", "settlement_currency" = e."currency",
  "counterparty_id" = coalesce((SELECT o."customer_id" FROM "orders" o WHERE o."id" = e."order_id"), '');--> statement-breakpoint
ALTER TABLE "ledger_entries" ENABLE TRIGGER ledger_entries_append_only;--> statement-breakpoint
ALTER TABLE "ledger_entries" ALTER COLUMN "settlement_amount" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "ledger_entries" ALTER COLUMN "settlement_currency" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "shipping_amount" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "discrepancies" ADD CONSTRAINT "discrepancies_settlement_id_settlements_id_fk" FOREIGN KEY ("settlement_id") REFERENCES "public"."settlements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instalments" ADD CONSTRAINT "instalments_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "settlements" ADD CONSTRAINT "settlements_agreement_id_agreements_id_fk" FOREIGN KEY ("agreement_id") REFERENCES "public"."agreements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "statements" ADD CONSTRAINT "statements_agreement_id_agreements_id_fk" FOREIGN KEY ("agreement_id") REFERENCES "public"."agreements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "agreements_counterparty" ON "agreements" USING btree ("counterparty_kind","counterparty_id");--> statement-breakpoint
CREATE UNIQUE INDEX "discrepancies_once" ON "discrepancies" USING btree ("settlement_id","kind","reference");--> statement-breakpoint
CREATE INDEX "discrepancies_settlement" ON "discrepancies" USING btree ("settlement_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "fx_rates_pair_as_of" ON "fx_rates" USING btree ("base","quote","as_of");--> statement-breakpoint
CREATE UNIQUE INDEX "payments_reference" ON "payments" USING btree ("reference");--> statement-breakpoint
CREATE INDEX "payments_order" ON "payments" USING btree ("order_id");--> statement-breakpoint
CREATE UNIQUE INDEX "settlements_agreement_period" ON "settlements" USING btree ("agreement_id","period");--> statement-breakpoint
CREATE UNIQUE INDEX "statements_once" ON "statements" USING btree ("agreement_id","period","digest");--> statement-breakpoint
CREATE INDEX "ledger_entries_counterparty" ON "ledger_entries" USING btree ("counterparty_kind","counterparty_id","created_at");--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_settlement_amount_non_negative" CHECK ("ledger_entries"."settlement_amount" >= 0);--> statement-breakpoint
-- A payment received is a fact, like a ledger entry: corrections are new rows.
CREATE TRIGGER payments_append_only BEFORE UPDATE OR DELETE ON payments
  FOR EACH ROW EXECUTE FUNCTION orderflow_reject_change();
