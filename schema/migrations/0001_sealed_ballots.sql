-- piaojue/2: scrutineers, the key ceremony, threshold issuance and sealed ballots.
-- A ballot opened or closed under piaojue/1 cannot be finished under piaojue/2 (its key and
-- openings are gone from the protocol): it becomes void. Published bundles stay as they are.
-- casts and issuances are recreated (casts again WITHOUT ROWID, which drizzle-kit does not
-- write: keep this by hand when the next migration is generated).
CREATE TABLE `ceremonies` (
	`meeting_id` text PRIMARY KEY NOT NULL,
	`ceremony_id` text NOT NULL,
	`t` integer NOT NULL,
	`status` text NOT NULL,
	`record` text NOT NULL,
	`failure` text,
	`public_key` text,
	`election_key` text,
	`fingerprint` text,
	FOREIGN KEY (`meeting_id`) REFERENCES `meetings`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `decryptions` (
	`ballot_id` text NOT NULL,
	`device` integer NOT NULL,
	`share` text NOT NULL,
	PRIMARY KEY(`ballot_id`, `device`),
	FOREIGN KEY (`ballot_id`) REFERENCES `ballots`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `issuance_logs` (
	`ballot_id` text NOT NULL,
	`device` integer NOT NULL,
	`entries` text NOT NULL,
	`signature` text NOT NULL,
	PRIMARY KEY(`ballot_id`, `device`),
	FOREIGN KEY (`ballot_id`) REFERENCES `ballots`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `partials` (
	`ballot_id` text NOT NULL,
	`member_id` text NOT NULL,
	`device` integer NOT NULL,
	`blinded_hash` text NOT NULL,
	`partial` text NOT NULL,
	PRIMARY KEY(`ballot_id`, `member_id`, `device`),
	FOREIGN KEY (`ballot_id`) REFERENCES `ballots`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `scrutineers` (
	`meeting_id` text NOT NULL,
	`idx` integer NOT NULL,
	`name` text NOT NULL,
	`code_hash` text,
	`code_used` integer NOT NULL,
	`signing_key` text,
	`encryption_key` text,
	`last_seen_at` integer,
	PRIMARY KEY(`meeting_id`, `idx`),
	FOREIGN KEY (`meeting_id`) REFERENCES `meetings`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `scrutineers_code` ON `scrutineers` (`code_hash`);--> statement-breakpoint
ALTER TABLE `ballots` ADD `election_key` text;--> statement-breakpoint
ALTER TABLE `ballots` ADD `cast_key` blob;--> statement-breakpoint
ALTER TABLE `ballots` ADD `sums` text;--> statement-breakpoint
ALTER TABLE `ballots` DROP COLUMN `secret_key`;--> statement-breakpoint
UPDATE `ballots` SET `status` = 'void' WHERE `status` IN ('open', 'closed');--> statement-breakpoint
DROP TABLE `casts`;--> statement-breakpoint
CREATE TABLE `casts` (
	`ballot_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`token` text NOT NULL,
	`signature` text NOT NULL,
	`sealed` text NOT NULL,
	`commitment` text NOT NULL,
	PRIMARY KEY(`ballot_id`, `token_hash`),
	FOREIGN KEY (`ballot_id`) REFERENCES `ballots`(`id`) ON UPDATE no action ON DELETE cascade
) WITHOUT ROWID;
--> statement-breakpoint
DROP TABLE `issuances`;--> statement-breakpoint
CREATE TABLE `issuances` (
	`ballot_id` text NOT NULL,
	`member_id` text NOT NULL,
	`blinded_hash` text NOT NULL,
	`blinded` text NOT NULL,
	`issued` integer NOT NULL,
	`allowed` integer NOT NULL,
	PRIMARY KEY(`ballot_id`, `member_id`),
	FOREIGN KEY (`ballot_id`) REFERENCES `ballots`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `sessions` ADD `scrutineer_meeting` text;--> statement-breakpoint
ALTER TABLE `sessions` ADD `scrutineer_index` integer;