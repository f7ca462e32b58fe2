-- Every run's events in commit order, for readers that follow the whole store (store/run-feed.ts).
-- Writers hold the file's write lock one at a time, so a row numbered as it is inserted is
-- numbered in commit order. A trigger fills it: the append path stays as it was. Events
-- recorded before this migration are history, not in the feed.
CREATE TABLE event_feed (
  pos    INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  seq    INTEGER NOT NULL
);

CREATE TRIGGER event_feed_append AFTER INSERT ON events
BEGIN
  INSERT INTO event_feed (run_id, seq) VALUES (new.run_id, new.seq);
END;
