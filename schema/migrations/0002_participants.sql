-- Ballot kinds as modules (issue 10): roster kind `participant` with a free-text category, and
-- definitions that carry params, per-item recusal and the round. Definitions stored before this
-- migration get the values that mean "as before": no params, no per-item recusal, round 1.
ALTER TABLE `members` ADD `category` text;
--> statement-breakpoint
UPDATE `ballots` SET `definition` = json_set(`definition`, '$.params', json('{}'), '$.recusedItems', json('[]'), '$.round', json('{"number":1,"previous":null}')) WHERE json_type(`definition`, '$.round') IS NULL;
