-- Lists of statuses, pipelines or responsible users (`statusId=142,143`) have no single
-- index range in created order: they page through leads_ws_created and test each entry.
-- With those columns in that index the test reads the index entry alone (an index-only
-- scan); without them it read the table row of every skipped lead (thousands for a rare
-- status).
DROP INDEX leads_ws_created;
CREATE INDEX leads_ws_created ON leads (ws, created_at DESC NULLS LAST, lead_id DESC NULLS LAST, id DESC NULLS LAST, is_deleted) INCLUDE (status_id, pipeline_id, responsible_user_id);
