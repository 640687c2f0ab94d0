// Small helpers over the SDK shared by the CRM's handlers.
import { dbExecute, dbQuery, newId, fail } from 'sdk';

export function now() {
  return Date.now();
}

export function one(sql, params) {
  const rows = dbQuery(sql, params);
  return rows.length > 0 ? rows[0] : null;
}

export function activity(kind, note, { contactId = null, dealId = null } = {}) {
  dbExecute(
    'INSERT INTO crm_activities (id, contact_id, deal_id, kind, note, at) VALUES (?, ?, ?, ?, ?, ?)',
    [newId(), contactId, dealId, kind, note, now()],
  );
}

// A 400 answer naming the missing or wrong field, or null when the body is fine.
export function require(body, fields) {
  if (body === null || typeof body !== 'object') return fail(400, 'send a JSON object');
  for (const f of fields) {
    if (body[f] === undefined || body[f] === null || body[f] === '') {
      return fail(400, `\`${f}\` is required`);
    }
  }
  return null;
}
