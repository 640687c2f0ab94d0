-- The CRM's tables: every name starts with the plugin's prefix, crm_.
CREATE TABLE crm_companies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    domain TEXT,
    created_at BIGINT NOT NULL
);
CREATE TABLE crm_contacts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT,
    company_id TEXT REFERENCES crm_companies(id),
    created_at BIGINT NOT NULL
);
CREATE TABLE crm_deals (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    amount REAL NOT NULL DEFAULT 0,
    stage TEXT NOT NULL,
    contact_id TEXT REFERENCES crm_contacts(id),
    company_id TEXT REFERENCES crm_companies(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE crm_activities (
    id TEXT PRIMARY KEY,
    contact_id TEXT,
    deal_id TEXT,
    kind TEXT NOT NULL,
    note TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX crm_activities_by_contact ON crm_activities (contact_id, at);
CREATE INDEX crm_deals_by_stage ON crm_deals (stage);
