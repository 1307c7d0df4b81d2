-- kommo-data store, SQLite dialect. Kept in step with migrations/postgres (same versions).
-- Kommo ids and times are INTEGER (times in Unix seconds; inserted_at / lease times in Unix ms).

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE workspaces (
    id               TEXT PRIMARY KEY NOT NULL,
    organization_id  TEXT NOT NULL REFERENCES organizations (id),
    name             TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    -- A small integer standing for the workspace in the row tables' indexes: every data API
    -- index starts with the workspace, and an integer there instead of the id text halves
    -- the indexes (fewer pages to write per sync page, more of them in cache for reads).
    key              INTEGER NOT NULL UNIQUE
);
CREATE INDEX workspaces_org ON workspaces (organization_id);

-- One Kommo account. Secrets are XChaCha20-Poly1305 ciphertexts (key id, nonce, ciphertext).
CREATE TABLE integrations (
    id                     TEXT PRIMARY KEY NOT NULL,
    organization_id        TEXT NOT NULL REFERENCES organizations (id),
    workspace_id           TEXT NOT NULL REFERENCES workspaces (id),
    base_url               TEXT NOT NULL,
    auth_kind              TEXT NOT NULL,
    long_lived_token       BLOB,
    oauth_client_id        TEXT,
    oauth_client_secret    BLOB,
    oauth_redirect_uri     TEXT,
    access_token           BLOB,
    refresh_token          BLOB,
    token_expires_at       INTEGER,
    rate_limit_per_second  INTEGER NOT NULL,
    created_at             INTEGER NOT NULL,
    lease_owner            TEXT,
    lease_expires_at       INTEGER,
    last_sync_at           INTEGER
);
CREATE INDEX integrations_workspace ON integrations (workspace_id);
CREATE INDEX integrations_claim ON integrations (last_sync_at, id);

-- API credentials: only an HMAC-SHA256 of the secret is kept.
CREATE TABLE credentials (
    client_id            TEXT PRIMARY KEY NOT NULL,
    organization_id      TEXT NOT NULL REFERENCES organizations (id),
    secret_hash          BLOB NOT NULL,
    requests_per_minute  INTEGER NOT NULL,
    created_at           INTEGER NOT NULL
);

CREATE TABLE credential_workspaces (
    client_id     TEXT NOT NULL REFERENCES credentials (client_id) ON DELETE CASCADE,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id),
    PRIMARY KEY (client_id, workspace_id)
);

CREATE TABLE checkpoints (
    integration_id     TEXT NOT NULL REFERENCES integrations (id),
    stream             TEXT NOT NULL,
    cursor_updated_at  INTEGER NOT NULL,
    cursor_id          INTEGER NOT NULL,
    full_sync_done     BOOLEAN NOT NULL,
    extra              TEXT,
    saved_at           INTEGER NOT NULL,
    PRIMARY KEY (integration_id, stream)
);

CREATE TABLE dictionaries (
    integration_id  TEXT NOT NULL REFERENCES integrations (id),
    kind            TEXT NOT NULL,
    body            TEXT NOT NULL,
    saved_at        INTEGER NOT NULL,
    PRIMARY KEY (integration_id, kind)
);

CREATE TABLE sync_runs (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    integration_id     TEXT NOT NULL REFERENCES integrations (id),
    kind               TEXT NOT NULL,
    status             TEXT NOT NULL,
    started_at         INTEGER NOT NULL,
    finished_at        INTEGER,
    leads_written      INTEGER NOT NULL DEFAULT 0,
    contacts_written   INTEGER NOT NULL DEFAULT 0,
    pipelines_written  INTEGER NOT NULL DEFAULT 0,
    users_written      INTEGER NOT NULL DEFAULT 0,
    deleted_marked     INTEGER NOT NULL DEFAULT 0,
    requests           INTEGER NOT NULL DEFAULT 0,
    error              TEXT
);
CREATE INDEX sync_runs_integration ON sync_runs (integration_id, id DESC);

CREATE TABLE leads (
    id                    INTEGER PRIMARY KEY,
    organization_id       TEXT NOT NULL,
    workspace_id          TEXT NOT NULL,
    ws                    INTEGER NOT NULL,
    integration_id        TEXT NOT NULL REFERENCES integrations (id),
    lead_id               INTEGER NOT NULL,
    lead_name             TEXT,
    status_id             INTEGER NOT NULL,
    price                 INTEGER,
    responsible_user_id   INTEGER,
    group_id              INTEGER,
    pipeline_id           INTEGER NOT NULL,
    loss_reason_id        INTEGER,
    created_by            INTEGER,
    updated_by            INTEGER,
    created_at            INTEGER,
    updated_at            INTEGER,
    closed_at             INTEGER,
    closest_task_at       INTEGER,
    is_deleted            BOOLEAN NOT NULL,
    custom_fields_values  TEXT,
    score                 TEXT,
    account_id            INTEGER,
    labor_cost            INTEGER,
    source_id             INTEGER,
    source_name           TEXT,
    tags                  TEXT,
    contacts_ids          TEXT,
    loss_reason           TEXT,
    tag_id                TEXT,
    tag_name              TEXT,
    tag_color             TEXT,
    tag_id_first          TEXT,
    tag_name_first        TEXT,
    tag_color_first       TEXT,
    document_id           TEXT NOT NULL,
    inserted_at           INTEGER NOT NULL,
    company_id            INTEGER,
    status_name           TEXT,
    pipeline_name         TEXT
);
CREATE UNIQUE INDEX leads_key ON leads (integration_id, lead_id);
-- Every data API index starts with the workspace (the tenancy every query carries), then the
-- equality filter it serves, then the order (made total by the Kommo id and the row id, as
-- two integrations of one workspace may share Kommo ids), and ends with is_deleted so that
-- the default "live only" condition is checked inside the index: the paging subquery
-- (SELECT id ... ORDER BY ... LIMIT/OFFSET) never touches the table.
CREATE INDEX leads_ws_created ON leads (ws, created_at DESC, lead_id DESC, id DESC, is_deleted);
CREATE INDEX leads_ws_pipeline ON leads (ws, pipeline_id, created_at DESC, lead_id DESC, id DESC, is_deleted);
CREATE INDEX leads_ws_status ON leads (ws, status_id, created_at DESC, lead_id DESC, id DESC, is_deleted);
CREATE INDEX leads_ws_responsible ON leads (ws, responsible_user_id, created_at DESC, lead_id DESC, id DESC, is_deleted);
CREATE INDEX leads_ws_updated ON leads (ws, updated_at DESC, lead_id DESC, id DESC, is_deleted);
CREATE INDEX leads_ws_closed ON leads (ws, closed_at DESC, lead_id DESC, id DESC, is_deleted);
CREATE INDEX leads_ws_lead ON leads (ws, lead_id DESC, id DESC, is_deleted);

-- A lead's tags in Kommo's order (position 0 is the first tag).
CREATE TABLE lead_tags (
    lead_ref      INTEGER NOT NULL,
    ws            INTEGER NOT NULL,
    position      INTEGER NOT NULL,
    tag_id        INTEGER NOT NULL,
    name          TEXT NOT NULL,
    color         TEXT,
    PRIMARY KEY (lead_ref, position)
) WITHOUT ROWID;
CREATE INDEX lead_tags_name ON lead_tags (ws, name, position, lead_ref);
CREATE INDEX lead_tags_id ON lead_tags (ws, tag_id, position, lead_ref);
CREATE INDEX lead_tags_color ON lead_tags (ws, color, position, lead_ref);

CREATE TABLE contacts (
    id                    INTEGER PRIMARY KEY,
    organization_id       TEXT NOT NULL,
    workspace_id          TEXT NOT NULL,
    ws                    INTEGER NOT NULL,
    integration_id        TEXT NOT NULL REFERENCES integrations (id),
    contact_id            INTEGER NOT NULL,
    contact_name          TEXT,
    first_name            TEXT,
    last_name             TEXT,
    responsible_user_id   INTEGER,
    group_id              INTEGER,
    created_by            INTEGER,
    updated_by            INTEGER,
    created_at            INTEGER,
    updated_at            INTEGER,
    closest_task_at       INTEGER,
    is_deleted            BOOLEAN NOT NULL,
    is_unsorted           BOOLEAN NOT NULL,
    custom_fields_values  TEXT,
    account_id            INTEGER,
    email                 TEXT,
    phone                 TEXT,
    emails                TEXT,
    phones                TEXT,
    company_id            INTEGER,
    leads_ids             TEXT,
    tags                  TEXT,
    tag_id                TEXT,
    tag_name              TEXT,
    tag_color             TEXT,
    tag_id_first          TEXT,
    tag_name_first        TEXT,
    tag_color_first       TEXT,
    document_id           TEXT NOT NULL,
    inserted_at           INTEGER NOT NULL
);
CREATE UNIQUE INDEX contacts_key ON contacts (integration_id, contact_id);
CREATE INDEX contacts_ws_created ON contacts (ws, created_at DESC, contact_id DESC, id DESC, is_deleted);
CREATE INDEX contacts_ws_updated ON contacts (ws, updated_at DESC, contact_id DESC, id DESC, is_deleted);
CREATE INDEX contacts_ws_responsible ON contacts (ws, responsible_user_id, created_at DESC, contact_id DESC, id DESC, is_deleted);
CREATE INDEX contacts_ws_company ON contacts (ws, company_id, created_at DESC, contact_id DESC, id DESC, is_deleted);
CREATE INDEX contacts_ws_contact ON contacts (ws, contact_id DESC, id DESC, is_deleted);

CREATE TABLE contact_tags (
    contact_ref   INTEGER NOT NULL,
    ws            INTEGER NOT NULL,
    position      INTEGER NOT NULL,
    tag_id        INTEGER NOT NULL,
    name          TEXT NOT NULL,
    color         TEXT,
    PRIMARY KEY (contact_ref, position)
) WITHOUT ROWID;
CREATE INDEX contact_tags_name ON contact_tags (ws, name, position, contact_ref);
CREATE INDEX contact_tags_id ON contact_tags (ws, tag_id, position, contact_ref);
CREATE INDEX contact_tags_color ON contact_tags (ws, color, position, contact_ref);

-- Each value as given (value) and in the form the filters compare: emails lowercased,
-- phones reduced to their digits.
CREATE TABLE contact_emails (
    contact_ref   INTEGER NOT NULL,
    ws            INTEGER NOT NULL,
    position      INTEGER NOT NULL,
    value         TEXT NOT NULL,
    email         TEXT NOT NULL,
    PRIMARY KEY (contact_ref, position)
) WITHOUT ROWID;
CREATE INDEX contact_emails_email ON contact_emails (ws, email, contact_ref);

CREATE TABLE contact_phones (
    contact_ref   INTEGER NOT NULL,
    ws            INTEGER NOT NULL,
    position      INTEGER NOT NULL,
    value         TEXT NOT NULL,
    digits        TEXT NOT NULL,
    PRIMARY KEY (contact_ref, position)
) WITHOUT ROWID;
CREATE INDEX contact_phones_digits ON contact_phones (ws, digits, contact_ref);

CREATE TABLE contact_leads (
    contact_ref   INTEGER NOT NULL,
    ws            INTEGER NOT NULL,
    position      INTEGER NOT NULL,
    lead_id       INTEGER NOT NULL,
    PRIMARY KEY (contact_ref, position)
) WITHOUT ROWID;
CREATE INDEX contact_leads_lead ON contact_leads (ws, lead_id, contact_ref);

-- One row per (pipeline, status).
CREATE TABLE pipelines (
    id               INTEGER PRIMARY KEY,
    organization_id  TEXT NOT NULL,
    workspace_id     TEXT NOT NULL,
    ws                    INTEGER NOT NULL,
    integration_id   TEXT NOT NULL REFERENCES integrations (id),
    pipeline_id      INTEGER NOT NULL,
    pipeline_name    TEXT NOT NULL,
    pipeline_sort    INTEGER NOT NULL,
    status_id        INTEGER NOT NULL,
    status_name      TEXT NOT NULL,
    sort             INTEGER NOT NULL,
    is_editable      BOOLEAN NOT NULL,
    color            TEXT NOT NULL,
    status_type      INTEGER NOT NULL,
    document_id      TEXT NOT NULL,
    inserted_at      INTEGER NOT NULL,
    is_main          BOOLEAN NOT NULL,
    is_archive       BOOLEAN NOT NULL
);
CREATE UNIQUE INDEX pipelines_key ON pipelines (integration_id, pipeline_id, status_id);
CREATE INDEX pipelines_ws_order ON pipelines (ws, pipeline_sort, pipeline_id, sort, status_id);

CREATE TABLE users (
    id               INTEGER PRIMARY KEY,
    organization_id  TEXT NOT NULL,
    workspace_id     TEXT NOT NULL,
    ws                    INTEGER NOT NULL,
    integration_id   TEXT NOT NULL REFERENCES integrations (id),
    user_id          INTEGER NOT NULL,
    user_name        TEXT,
    email            TEXT,
    lang             TEXT,
    is_admin         BOOLEAN NOT NULL,
    is_free          BOOLEAN NOT NULL,
    is_active        BOOLEAN NOT NULL,
    group_id         INTEGER,
    group_name       TEXT,
    role_id          INTEGER,
    role_name        TEXT,
    rights           TEXT,
    document_id      TEXT NOT NULL,
    inserted_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_key ON users (integration_id, user_id);
CREATE INDEX users_ws_user ON users (ws, user_id);
