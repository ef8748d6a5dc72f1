-- Attendance that stays true (issue 11): why an absent member is absent, as the secretary
-- recorded it — 'leave' (请假) or 'left' (离会); null for present or not signed in.
ALTER TABLE `members` ADD `absence` text;
