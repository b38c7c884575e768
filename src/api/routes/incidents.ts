import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { improvements, incidents } from '../../db/schema';
import { improvementJson, incidentSummary, listImprovements, listIncidents } from '../incident-read-model';
import { HttpProblem } from '../problem';
import { route } from '../route';
import { ownedOrders } from '../tenancy';
import { ImprovementBody, ImprovementPatch, ImprovementsQuery, IncidentSummaryQuery, IncidentsQuery } from '../schemas';

// Incidents across orders (R4.8) and the improvement measures taken against them (R4.10).
// The workflows write incidents; here they are only read. Improvements are the
// operators' own records, written here.

const READERS = ['integrator', 'operator', 'finance'] as const;

const ImprovementId = z.uuid().transform((id) => id.toLowerCase());

function improvementIdOf(params: Record<string, string>): string {
  const parsed = ImprovementId.safeParse(params.id);
  if (!parsed.success) {
    throw new HttpProblem(404, 'Not found', `no improvement ${params.id}`, { errors: [{ field: 'path.id', message: 'an improvement id (UUID)' }] });
  }
  return parsed.data;
}

export function incidentRoutes(deps: { db: Db }) {
  const { db } = deps;

  async function findImprovement(id: string) {
    const [row] = await db.select().from(improvements).where(eq(improvements.id, id));
    if (!row) throw new HttpProblem(404, 'Not found', `no improvement ${id}`);
    return row;
  }

  return [
    route({
      method: 'get',
      path: '/v1/incidents',
      tag: 'incidents',
      summary: 'Delivery incidents across orders, newest first, with filters (R4.8)',
      access: READERS,
      query: IncidentsQuery,
      responses: { 200: '{ data: [incident with orderId, orderNumber, carrier, lane], nextCursor }' },
      async handler({ res, query, caller }) {
        res.json(await listIncidents(db, query, ownedOrders(db, caller, incidents.orderId)));
      },
    }),

    route({
      method: 'get',
      path: '/v1/incidents/summary',
      tag: 'incidents',
      summary: 'Incidents grouped by carrier, lane or kind, and how each improvement changed their rate (R4.8, R4.10)',
      access: READERS,
      query: IncidentSummaryQuery,
      responses: { 200: '{ groupBy, from, to, groups: [...], improvements: [{ before, after }] }' },
      async handler({ res, query }) {
        res.json(await incidentSummary(db, query));
      },
    }),

    route({
      method: 'post',
      path: '/v1/improvements',
      tag: 'improvements',
      summary: 'Record an improvement measure against a finding about a carrier, a lane or an incident kind (R4.10)',
      access: ['operator'],
      body: ImprovementBody,
      responses: { 201: 'the improvement; Location names it' },
      async handler({ res, body }) {
        const [row] = await db
          .insert(improvements)
          .values({
            id: randomUUID(),
            title: body.title,
            finding: body.finding,
            action: body.action,
            owner: body.owner,
            dueDate: body.dueDate,
            status: body.status,
            ...(body.startedAt ? { startedAt: new Date(body.startedAt) } : {}),
          })
          .returning();
        res.status(201).location(`/v1/improvements/${row!.id}`).json(improvementJson(row!));
      },
    }),

    route({
      method: 'get',
      path: '/v1/improvements',
      tag: 'improvements',
      summary: 'Improvement measures, newest first, by status and owner',
      access: READERS,
      query: ImprovementsQuery,
      responses: { 200: '{ data: [improvement] }' },
      async handler({ res, query }) {
        res.json(await listImprovements(db, query));
      },
    }),

    route({
      method: 'get',
      path: '/v1/improvements/:id',
      tag: 'improvements',
      summary: 'One improvement measure',
      access: READERS,
      responses: { 200: 'the improvement', 404: 'no such improvement' },
      async handler({ res, params }) {
        res.json(improvementJson(await findImprovement(improvementIdOf(params))));
      },
    }),

    route({
      method: 'patch',
      path: '/v1/improvements/:id',
      tag: 'improvements',
      summary: "Follow an improvement up: its status, owner or due date",
      access: ['operator'],
      body: ImprovementPatch,
      responses: { 200: 'the improvement as changed', 404: 'no such improvement' },
      async handler({ res, params, body }) {
        const id = improvementIdOf(params);
        await findImprovement(id);
        const [row] = await db
          .update(improvements)
          .set({
            ...(body.status !== undefined ? { status: body.status } : {}),
            ...(body.owner !== undefined ? { owner: body.owner } : {}),
            ...(body.dueDate !== undefined ? { dueDate: body.dueDate } : {}),
            updatedAt: new Date(),
          })
          .where(eq(improvements.id, id))
          .returning();
        if (!row) throw new HttpProblem(404, 'Not found', `no improvement ${id}`);
        res.json(improvementJson(row));
      },
    }),
  ];
}
