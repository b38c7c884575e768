import { z } from 'zod';
import { ROLES } from '../../config';
import type { Db } from '../../db/client';
import { issueApiKey, listApiKeys, revokeApiKey, type Keyring } from '../auth';
import { HttpProblem } from '../problem';
import { route } from '../route';

// API keys issued and revoked while the service runs (admin only). A key's secret is
// shown once, in the answer that issues it; the table keeps its sha-256 alone.

const ApiKeyBody = z.strictObject({
  role: z.enum(ROLES),
  label: z.string().trim().min(1).max(200),
});

const KEY_ID = /^[0-9a-f]{16}$/;

export function apiKeyRoutes(deps: { db: Db; ring: Keyring }) {
  const { db, ring } = deps;
  return [
    route({
      method: 'post',
      path: '/v1/api-keys',
      tag: 'operations',
      summary: 'Issue an API key for a role; its secret is in this answer only',
      access: ['admin'],
      body: ApiKeyBody,
      responses: { 201: '{ id, role, label, key, createdAt }: keep `key`, it is not shown again' },
      async handler({ res, body }) {
        const issued = await issueApiKey(db, body);
        res.status(201).location(`/v1/api-keys/${issued.id}`).json(issued);
      },
    }),

    route({
      method: 'get',
      path: '/v1/api-keys',
      tag: 'operations',
      summary: 'The API keys, with no secrets: id, role, label, source, created, revoked and last used',
      access: ['admin'],
      responses: { 200: '{ data: [api key] }' },
      async handler({ res }) {
        res.json({ data: await listApiKeys(db) });
      },
    }),

    route({
      method: 'post',
      path: '/v1/api-keys/:id/revoke',
      tag: 'operations',
      summary: 'Revoke an API key: it is refused (401) from now on',
      access: ['admin'],
      responses: { 200: 'the key, with `revokedAt`', 404: 'no such key' },
      async handler({ res, params }) {
        const id = params.id ?? '';
        const revoked = KEY_ID.test(id) ? await revokeApiKey(db, id) : undefined;
        if (!revoked) throw new HttpProblem(404, 'Not found', `no API key ${id}`, { errors: [{ field: 'path.id', message: 'an API key id (16 hex digits)' }] });
        ring.forget(id);
        res.json(revoked);
      },
    }),
  ];
}
