-- Notices are delivered (issue 10): what the provider called the message, and why a notice was not sent.
ALTER TABLE "notifications" ADD COLUMN "provider_message_id" text;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "skip_reason" text;
