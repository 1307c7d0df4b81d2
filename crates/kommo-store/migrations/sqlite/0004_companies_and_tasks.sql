-- Companies and tasks, synced like leads and contacts and served by the data API
-- (`/v1/kommo/companies`, `/v1/kommo/tasks`). Indexes start with `ws` (the workspace's key)
-- like every data API index, and end with the order's ties and `is_deleted`, so a page's
-- subquery is answered from the index alone.

CREATE TABLE companies (
    id                    INTEGER PRIMARY KEY,
    organization_id       TEXT NOT NULL,
    workspace_id          TEXT NOT NULL,
    ws                    INTEGER NOT NULL,
    integration_id        TEXT NOT NULL REFERENCES integrations (id),
    company_id            INTEGER NOT NULL,
    company_name          TEXT,
    responsible_user_id   INTEGER,
    group_id              INTEGER,
    created_by            INTEGER,
    updated_by            INTEGER,
    created_at            INTEGER,
    updated_at            INTEGER,
    closest_task_at       INTEGER,
    is_deleted            BOOLEAN NOT NULL,
    custom_fields_values  TEXT,
    account_id            INTEGER,
    email                 TEXT,
    phone                 TEXT,
    emails                TEXT,
    phones                TEXT,
    contacts_ids          TEXT,
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
CREATE UNIQUE INDEX companies_key ON companies (integration_id, company_id);
CREATE INDEX companies_ws_created ON companies (ws, created_at DESC, company_id DESC, id DESC, is_deleted);
CREATE INDEX companies_ws_updated ON companies (ws, updated_at DESC, company_id DESC, id DESC, is_deleted);
CREATE INDEX companies_ws_responsible ON companies (ws, responsible_user_id, created_at DESC, company_id DESC, id DESC, is_deleted);
CREATE INDEX companies_ws_name ON companies (ws, company_name, created_at DESC, company_id DESC, id DESC, is_deleted);
CREATE INDEX companies_ws_company ON companies (ws, company_id DESC, id DESC, is_deleted);

CREATE TABLE company_tags (
    company_ref   INTEGER NOT NULL,
    ws            INTEGER NOT NULL,
    position      INTEGER NOT NULL,
    tag_id        INTEGER NOT NULL,
    name          TEXT NOT NULL,
    color         TEXT,
    PRIMARY KEY (company_ref, position)
) WITHOUT ROWID;
CREATE INDEX company_tags_name ON company_tags (ws, name, position, company_ref);
CREATE INDEX company_tags_id ON company_tags (ws, tag_id, position, company_ref);
CREATE INDEX company_tags_color ON company_tags (ws, color, position, company_ref);

-- Each value as given (value) and in the form the filters compare: emails lowercased,
-- phones reduced to their digits (as for contacts).
CREATE TABLE company_emails (
    company_ref   INTEGER NOT NULL,
    ws            INTEGER NOT NULL,
    position      INTEGER NOT NULL,
    value         TEXT NOT NULL,
    email         TEXT NOT NULL,
    PRIMARY KEY (company_ref, position)
) WITHOUT ROWID;
CREATE INDEX company_emails_email ON company_emails (ws, email, company_ref);

CREATE TABLE company_phones (
    company_ref   INTEGER NOT NULL,
    ws            INTEGER NOT NULL,
    position      INTEGER NOT NULL,
    value         TEXT NOT NULL,
    digits        TEXT NOT NULL,
    PRIMARY KEY (company_ref, position)
) WITHOUT ROWID;
CREATE INDEX company_phones_digits ON company_phones (ws, digits, company_ref);

CREATE TABLE company_contacts (
    company_ref   INTEGER NOT NULL,
    ws            INTEGER NOT NULL,
    position      INTEGER NOT NULL,
    contact_id    INTEGER NOT NULL,
    PRIMARY KEY (company_ref, position)
) WITHOUT ROWID;
CREATE INDEX company_contacts_contact ON company_contacts (ws, contact_id, company_ref);

CREATE TABLE company_leads (
    company_ref   INTEGER NOT NULL,
    ws            INTEGER NOT NULL,
    position      INTEGER NOT NULL,
    lead_id       INTEGER NOT NULL,
    PRIMARY KEY (company_ref, position)
) WITHOUT ROWID;
CREATE INDEX company_leads_lead ON company_leads (ws, lead_id, company_ref);

CREATE TABLE tasks (
    id                    INTEGER PRIMARY KEY,
    organization_id       TEXT NOT NULL,
    workspace_id          TEXT NOT NULL,
    ws                    INTEGER NOT NULL,
    integration_id        TEXT NOT NULL REFERENCES integrations (id),
    task_id               INTEGER NOT NULL,
    entity_type           TEXT,
    entity_id             INTEGER,
    responsible_user_id   INTEGER,
    group_id              INTEGER,
    task_type_id          INTEGER,
    task_type_name        TEXT,
    text                  TEXT,
    duration              INTEGER,
    complete_till         INTEGER,
    is_completed          BOOLEAN NOT NULL,
    result_text           TEXT,
    created_by            INTEGER,
    updated_by            INTEGER,
    created_at            INTEGER,
    updated_at            INTEGER,
    is_deleted            BOOLEAN NOT NULL,
    document_id           TEXT NOT NULL,
    inserted_at           INTEGER NOT NULL
);
CREATE UNIQUE INDEX tasks_key ON tasks (integration_id, task_id);
CREATE INDEX tasks_ws_created ON tasks (ws, created_at DESC, task_id DESC, id DESC, is_deleted);
CREATE INDEX tasks_ws_updated ON tasks (ws, updated_at DESC, task_id DESC, id DESC, is_deleted);
CREATE INDEX tasks_ws_complete_till ON tasks (ws, complete_till DESC, task_id DESC, id DESC, is_deleted);
CREATE INDEX tasks_ws_entity ON tasks (ws, entity_id, created_at DESC, task_id DESC, id DESC, is_deleted);
CREATE INDEX tasks_ws_responsible ON tasks (ws, responsible_user_id, created_at DESC, task_id DESC, id DESC, is_deleted);
CREATE INDEX tasks_ws_task ON tasks (ws, task_id DESC, id DESC, is_deleted);
