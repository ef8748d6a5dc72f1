CREATE TABLE `ballots` (
	`id` text PRIMARY KEY NOT NULL,
	`meeting_id` text NOT NULL,
	`seq` integer NOT NULL,
	`status` text NOT NULL,
	`definition` text NOT NULL,
	`public_key` text,
	`secret_key` blob,
	`bundle` text,
	FOREIGN KEY (`meeting_id`) REFERENCES `meetings`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `casts` (
	`ballot_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`token` text NOT NULL,
	`signature` text NOT NULL,
	`commitment` text NOT NULL,
	`choices` text,
	`salt` text,
	PRIMARY KEY(`ballot_id`, `token_hash`),
	FOREIGN KEY (`ballot_id`) REFERENCES `ballots`(`id`) ON UPDATE no action ON DELETE cascade
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `issuances` (
	`ballot_id` text NOT NULL,
	`member_id` text NOT NULL,
	`blinded_hash` text NOT NULL,
	`issued` integer NOT NULL,
	`allowed` integer NOT NULL,
	PRIMARY KEY(`ballot_id`, `member_id`),
	FOREIGN KEY (`ballot_id`) REFERENCES `ballots`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `meetings` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`status` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `members` (
	`id` text PRIMARY KEY NOT NULL,
	`meeting_id` text NOT NULL,
	`seq` integer NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`title` text NOT NULL,
	`present` integer NOT NULL,
	`code_hash` text,
	`code_used` integer NOT NULL,
	FOREIGN KEY (`meeting_id`) REFERENCES `meetings`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `members_meeting_seq` ON `members` (`meeting_id`,`seq`);--> statement-breakpoint
CREATE UNIQUE INDEX `members_code` ON `members` (`code_hash`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id_hash` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`member_id` text,
	`created_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
