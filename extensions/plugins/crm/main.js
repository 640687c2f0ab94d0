// CRM: contacts, companies and deals moving through a pipeline, with an
// activity timeline per contact and dashboard stats. Its tables come from
// migrations/001_init.sql; the pipeline's stages from [config] pipeline.
import {
  dbBegin, dbCommit, dbExecute, dbQuery, dbRollback, configGet, emit, logInfo, newId, ok, fail,
} from 'sdk';
import { activity, now, one, require } from './lib/store.js';

const stages = () => configGet('pipeline') ?? ['lead', 'won', 'lost'];

export function createCompany(req) {
  const body = req.json;
  const missing = require(body, ['name']);
  if (missing) return missing;
  const company = { id: newId(), name: body.name, domain: body.domain ?? null, created_at: now() };
  dbExecute('INSERT INTO crm_companies (id, name, domain, created_at) VALUES (:id, :name, :domain, :created_at)', company);
  return ok(company, 201);
}

export function listCompanies() {
  return ok(dbQuery('SELECT * FROM crm_companies ORDER BY name'));
}

export function createContact(req) {
  const body = req.json;
  const missing = require(body, ['name']);
  if (missing) return missing;
  if (body.company_id && !one('SELECT id FROM crm_companies WHERE id = ?', [body.company_id])) {
    return fail(404, 'no such company');
  }
  const contact = { id: newId(), name: body.name, email: body.email ?? null, company_id: body.company_id ?? null, created_at: now() };
  dbExecute(
    'INSERT INTO crm_contacts (id, name, email, company_id, created_at) VALUES (:id, :name, :email, :company_id, :created_at)',
    contact,
  );
  activity('created', `contact ${contact.name} created`, { contactId: contact.id });
  return ok(contact, 201);
}

export function listContacts(req) {
  const q = req.query.q ? `%${req.query.q}%` : '%';
  return ok(dbQuery('SELECT * FROM crm_contacts WHERE name LIKE ? ORDER BY name', [q]));
}

export function createDeal(req) {
  const body = req.json;
  const missing = require(body, ['title']);
  if (missing) return missing;
  const contact = body.contact_id ? one('SELECT * FROM crm_contacts WHERE id = ?', [body.contact_id]) : null;
  if (body.contact_id && !contact) return fail(404, 'no such contact');
  const t = now();
  const deal = {
    id: newId(),
    title: body.title,
    amount: Number(body.amount ?? 0),
    stage: stages()[0],
    contact_id: contact?.id ?? null,
    company_id: body.company_id ?? contact?.company_id ?? null,
    created_at: t,
    updated_at: t,
  };
  dbExecute(
    'INSERT INTO crm_deals (id, title, amount, stage, contact_id, company_id, created_at, updated_at) ' +
      'VALUES (:id, :title, :amount, :stage, :contact_id, :company_id, :created_at, :updated_at)',
    deal,
  );
  activity('deal', `deal "${deal.title}" opened`, { contactId: deal.contact_id, dealId: deal.id });
  return ok(deal, 201);
}

// POST /deals/:id/stage {"stage": "won"}: the move and its activity commit together.
export function moveDeal(req) {
  const stage = req.json?.stage;
  if (!stages().includes(stage)) return fail(400, `unknown stage \`${stage}\`; stages: ${stages().join(', ')}`);
  const deal = one('SELECT * FROM crm_deals WHERE id = ?', [req.params.id]);
  if (!deal) return fail(404, 'no such deal');
  if (deal.stage === stage) return ok(deal);
  dbBegin();
  try {
    dbExecute('UPDATE crm_deals SET stage = ?, updated_at = ? WHERE id = ?', [stage, now(), deal.id]);
    activity('stage', `deal "${deal.title}": ${deal.stage} -> ${stage}`, { contactId: deal.contact_id, dealId: deal.id });
    dbCommit();
  } catch (e) {
    dbRollback();
    throw e;
  }
  emit('crm.deal_moved', { deal: deal.id, from: deal.stage, to: stage });
  if (stage === 'won') emit('crm.deal_won', { deal: deal.id, amount: deal.amount });
  return ok({ ...deal, stage });
}

export function pipeline() {
  const deals = dbQuery('SELECT * FROM crm_deals ORDER BY created_at');
  return ok({
    stages: stages().map((stage) => {
      const here = deals.filter((d) => d.stage === stage);
      return { stage, count: here.length, value: here.reduce((sum, d) => sum + d.amount, 0), deals: here };
    }),
  });
}

export function contactTimeline(req) {
  const contact = one('SELECT * FROM crm_contacts WHERE id = ?', [req.params.id]);
  if (!contact) return fail(404, 'no such contact');
  const activities = dbQuery('SELECT kind, note, at, deal_id FROM crm_activities WHERE contact_id = ? ORDER BY at DESC, id DESC', [contact.id]);
  const deals = dbQuery('SELECT id, title, stage, amount FROM crm_deals WHERE contact_id = ?', [contact.id]);
  return ok({ contact, deals, activities });
}

export function stats() {
  const count = (table) => one(`SELECT count(*) AS n FROM ${table}`).n;
  const byStage = dbQuery('SELECT stage, count(*) AS deals, sum(amount) AS value FROM crm_deals GROUP BY stage ORDER BY stage');
  const value = (where) => one(`SELECT coalesce(sum(amount), 0) AS v FROM crm_deals WHERE ${where}`).v;
  return ok({
    contacts: count('crm_contacts'),
    companies: count('crm_companies'),
    deals: count('crm_deals'),
    open_value: value("stage NOT IN ('won', 'lost')"),
    won_value: value("stage = 'won'"),
    by_stage: byStage,
  });
}

// A post or note whose data names a contact shows on that contact's timeline.
export function on_content_created(input) {
  const event = JSON.parse(input);
  const contactId = event.body.data?.contact_id;
  if (!contactId || !one('SELECT id FROM crm_contacts WHERE id = ?', [contactId])) return;
  activity('content', `${event.content_type} "${event.body.title}"`, { contactId });
  logInfo(`linked content ${event.id} to contact ${contactId}`);
}
