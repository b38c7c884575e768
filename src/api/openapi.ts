import { z } from 'zod';
import type { RouteSpec } from './route';

// The OpenAPI document, written from the same route declarations that serve requests,
// so it cannot drift from what the API does.

const toPath = (expressPath: string) => expressPath.replace(/:(\w+)/g, '{$1}');

const problem = {
  description: 'problem details',
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
};

export function openApiDocument(routes: readonly RouteSpec[], info: { version: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const parameters: unknown[] = [...r.path.matchAll(/:(\w+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (r.query) {
      const schema = z.toJSONSchema(r.query, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, s] of Object.entries(schema.properties ?? {})) {
        parameters.push({ name, in: 'query', required: schema.required?.includes(name) ?? false, schema: s });
      }
    }
    if (r.idempotent) {
      parameters.push({ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 } });
    }
    const responses: Record<string, unknown> = {};
    for (const [status, description] of Object.entries(r.responses)) {
      responses[status] = Number(status) >= 400 ? { ...problem, description } : { description };
    }
    if (Array.isArray(r.access)) {
      responses['401'] ??= { ...problem, description: 'no or unknown API key' };
      responses['403'] ??= { ...problem, description: 'the key may not do this' };
    }
    if (r.body || r.query) responses['422'] ??= { ...problem, description: 'invalid request; `errors` names each field' };
    (paths[toPath(r.path)] ??= {})[r.method] = {
      summary: r.summary,
      tags: [r.tag],
      ...(Array.isArray(r.access) ? { security: [{ bearer: [] }], 'x-roles': [...r.access, 'admin'] } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(r.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(r.body, { io: 'input', unrepresentable: 'any' }) } } } }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'orderflow API',
      version: info.version,
      description: 'Order orchestration: every order runs as one durable Temporal workflow. Money is integer minor units with an ISO 4217 code.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Problem: {
          type: 'object',
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
          },
        },
      },
    },
    paths,
  };
}
