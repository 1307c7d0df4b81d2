-- The funnel over time, from Kommo's events: every real status change of a lead, the other
-- events of a lead's life (added, deleted, restored), and the stays derived from them.

-- One row per lead_status_changed event whose before differs from its after. Names are
-- resolved from the pipelines dictionary when the event is written, like the leads' names.
CREATE TABLE lead_status_changes (
    id                    INTEGER PRIMARY KEY,
    organization_id       TEXT NOT NULL,
    workspace_id          TEXT NOT NULL,
    ws                    INTEGER NOT NULL,
    integration_id        TEXT NOT NULL REFERENCES integrations (id),
    event_id              TEXT NOT NULL,
    lead_id               INTEGER NOT NULL,
    pipeline_id_before    INTEGER,
    status_id_before      INTEGER,
    pipeline_id_after     INTEGER NOT NULL,
    status_id_after       INTEGER NOT NULL,
    pipeline_name_before  TEXT,
    status_name_before    TEXT,
    pipeline_name_after   TEXT,
    status_name_after     TEXT,
    changed_at            INTEGER NOT NULL,
    changed_by            INTEGER,
    document_id           TEXT NOT NULL,
    inserted_at           INTEGER NOT NULL
);
-- Events are immutable and re-read in overlapping windows: the event id de-duplicates.
CREATE UNIQUE INDEX lead_status_changes_key ON lead_status_changes (integration_id, event_id);
CREATE INDEX lead_status_changes_lead_of ON lead_status_changes (integration_id, lead_id, changed_at, event_id);
CREATE INDEX lead_status_changes_inserted ON lead_status_changes (integration_id, inserted_at);
CREATE INDEX lead_status_changes_ws_changed ON lead_status_changes (ws, changed_at DESC, id DESC);
CREATE INDEX lead_status_changes_ws_lead ON lead_status_changes (ws, lead_id, changed_at DESC, id DESC);
CREATE INDEX lead_status_changes_ws_status ON lead_status_changes (ws, status_id_after, changed_at DESC, id DESC);
CREATE INDEX lead_status_changes_ws_pipeline ON lead_status_changes (ws, pipeline_id_after, changed_at DESC, id DESC);

-- lead_added, lead_deleted and lead_restored: when a lead began, and when it was in the trash.
CREATE TABLE lead_life_events (
    integration_id  TEXT NOT NULL REFERENCES integrations (id),
    event_id        TEXT NOT NULL,
    lead_id         INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    at              INTEGER NOT NULL,
    -- lead_added: the stage the lead was created in, when the event says.
    pipeline_id     INTEGER,
    status_id       INTEGER,
    inserted_at     INTEGER NOT NULL,
    PRIMARY KEY (integration_id, event_id)
);
CREATE INDEX lead_life_events_lead_of ON lead_life_events (integration_id, lead_id, at, event_id);
CREATE INDEX lead_life_events_inserted ON lead_life_events (integration_id, inserted_at);

-- One row per stay of a lead in a stage, derived from the lead and its events. A lead's
-- stays tile its life: from created_at, each ends where the next begins; the last is open
-- (left_at NULL) unless the lead is deleted. lead_created_at is the cohort key of the funnel.
CREATE TABLE lead_stages (
    id                INTEGER PRIMARY KEY,
    organization_id   TEXT NOT NULL,
    workspace_id      TEXT NOT NULL,
    ws                INTEGER NOT NULL,
    integration_id    TEXT NOT NULL REFERENCES integrations (id),
    lead_id           INTEGER NOT NULL,
    pipeline_id       INTEGER NOT NULL,
    status_id         INTEGER NOT NULL,
    pipeline_name     TEXT,
    status_name       TEXT,
    entered_at        INTEGER NOT NULL,
    left_at           INTEGER,
    next_pipeline_id  INTEGER,
    next_status_id    INTEGER,
    lead_created_at   INTEGER NOT NULL,
    -- The lead as it stands (current status, closed_at, deleted), for the funnel's totals.
    lead_status_id    INTEGER NOT NULL,
    lead_closed_at    INTEGER,
    lead_is_deleted   BOOLEAN NOT NULL,
    document_id       TEXT NOT NULL,
    inserted_at       INTEGER NOT NULL
);
CREATE INDEX lead_stages_lead_of ON lead_stages (integration_id, lead_id);
CREATE INDEX lead_stages_ws_entered ON lead_stages (ws, entered_at DESC, lead_id DESC, id DESC, left_at);
CREATE INDEX lead_stages_ws_lead ON lead_stages (ws, lead_id, entered_at DESC, id DESC, left_at);
CREATE INDEX lead_stages_ws_status ON lead_stages (ws, status_id, entered_at DESC, lead_id DESC, id DESC, left_at);
CREATE INDEX lead_stages_ws_pipeline ON lead_stages (ws, pipeline_id, entered_at DESC, lead_id DESC, id DESC, left_at);
-- The funnel reads a pipeline's cohort from this index alone, a lead's stays side by side
-- (grouping by lead follows the index order, no sort).
CREATE INDEX lead_stages_ws_cohort ON lead_stages (ws, pipeline_id, lead_created_at, lead_id, integration_id, lead_is_deleted, status_id, entered_at, left_at, next_status_id, lead_status_id, lead_closed_at);

-- What the data API serves: the stays with their length, up to now for an open one.
CREATE VIEW lead_stages_served AS
SELECT s.*, COALESCE(s.left_at, CAST(strftime('%s', 'now') AS INTEGER)) - s.entered_at AS seconds_in_stage
FROM lead_stages s;

-- Which leads changed since the last derivation of stays (the sync's watermark).
CREATE INDEX leads_inserted ON leads (integration_id, inserted_at);
