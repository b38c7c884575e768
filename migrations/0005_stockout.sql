ALTER TABLE "products" ADD COLUMN "substitutes" text[] DEFAULT '{}'::text[] NOT NULL;
