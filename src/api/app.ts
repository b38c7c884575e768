import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import express from 'express';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { CarrierWebhookSecrets } from '../carriers/webhook-signature';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { orders } from '../db/schema';
import { keyring } from './auth';
import { orderIntake } from '../intake/place-order';
import { orderCommands } from './order-commands';
import { openApiDocument } from './openapi';
import { HttpProblem, problemHandler } from './problem';
import { mount, route } from './route';
import { agreementRoutes } from './routes/agreements';
import { apiKeyRoutes } from './routes/api-keys';
import { analyticsRoutes } from './routes/analytics';
import { carrierWebhookRoutes } from './routes/carrier-webhooks';
import { catalogueRoutes } from './routes/catalogue';
import { codecCors, codecRoutes } from './routes/codec';
import { channelRoutes } from './routes/channels';
import { orderReplies } from './intake-reply';
import { complaintRoutes } from './routes/complaints';
import { healthRoutes } from './routes/health';
import { incidentRoutes } from './routes/incidents';
import { inventoryRoutes } from './routes/inventory';
import { lookupRoutes } from './routes/lookup';
import { metricsRoutes } from './routes/metrics';
import { stockControlRoutes } from './routes/stock-control';
import { orderRoutes } from './routes/orders';
import { reportRoutes } from './routes/reports';
import { fxRateRoutes } from './routes/fx-rates';
import { settlementRoutes } from './routes/settlements';
import { statementRoutes } from './routes/statements';
import { paymentRoutes } from './routes/payments';
import { webhookSubscriptionRoutes } from './routes/webhook-subscriptions';
import type { CodecKey } from '../temporal/payload-codec';
import { logFunction, orderBindings, type Logger } from '../observability/logger';
import { HttpMetrics, businessGauges, gaugesText } from '../observability/metrics';
import { DEFAULT_SECURITY, cors, perKeyRateLimit, securityHeaders, type SecuritySettings } from './security';

export interface ApiDeps {
  db: Db;
  client: Client;
  apiKeys: { role: NonNullable<Config['apiKeys']>[number]['role']; key: string }[];
  taskQueues: Config['temporal']['taskQueues'];
  orderSettings: Config['orderSettings'];
  webhookSecrets: CarrierWebhookSecrets;
  log?: (message: string, error?: unknown) => void;
  answerTimeoutMs?: number;
  /** Month-end settlement runs; 5 days' wait for decisions unless told. */
  settlement?: Config['settlement'];
  /** The payload codec of this process's Temporal client, served to the Temporal UI. */
  codec?: PayloadCodec;
  /** Origins of the Temporal UI allowed to call /codec from a browser. */
  uiOrigins?: readonly string[];
  /** The embedded dev server's UI decodes at /codec/ui/<token>/… (it cannot send an API key). */
  uiCodecToken?: string;
  /** Keys the opaque `CustomerId` search attribute; absent, one per process (tests). */
  customerIdSecret?: string;
  /** Complaint response and escalation windows; a day and a week unless told. */
  complaints?: Config['complaints'];
  /** Replenishment settings; unscaled defaults unless told. */
  replenishment?: Config['replenishment'];
  /** Outbound webhooks: the keys that seal signing secrets, and what a subscription may name. */
  webhooks?: { keys: readonly CodecKey[]; allowLocalHttp: boolean; maxAttempts: number };
  /** Structured logs: one line per request (with the order's ids when it concerns one). None unless given. */
  logger?: Logger;
  /** Body limit, per-key rate limit, CORS, HSTS; generous defaults unless told. */
  security?: Partial<SecuritySettings>;
  /** GET /metrics without a key (else operators and admins only). */
  metricsPublic?: boolean;
}

const ORDER_URL = /^\/v1\/orders\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:[/?]|$)/i;

export function createApi(deps: ApiDeps): express.Express {
  const log = deps.log ?? (deps.logger ? logFunction(deps.logger.child({ component: 'api' })) : (message: string, error?: unknown) => console.error(message, error ?? ''));
  const security = { ...DEFAULT_SECURITY, ...deps.security };
  const httpMetrics = new HttpMetrics();
  const gauges = businessGauges(deps.db);
  const intake = orderIntake({
    db: deps.db,
    client: deps.client,
    ordersTaskQueue: deps.taskQueues.orders,
    carriersTaskQueue: deps.taskQueues.carriers,
    settings: deps.orderSettings,
    answerTimeoutMs: deps.answerTimeoutMs,
    customerIdSecret: deps.customerIdSecret ?? randomBytes(32).toString('base64url'),
  });
  const commands = orderCommands({
    client: deps.client,
    answerTimeoutMs: deps.answerTimeoutMs,
    recordedVersion: async (orderId) => {
      const [row] = await deps.db.select({ version: orders.stateVersion }).from(orders).where(eq(orders.id, orderId));
      return row?.version;
    },
  });
  const ring = keyring({ db: deps.db, keys: deps.apiKeys });
  const routes = [
    ...healthRoutes({ db: deps.db, client: deps.client }),
    ...orderRoutes({ db: deps.db, commands, intake }),
    ...channelRoutes({ db: deps.db, intake, replies: orderReplies({ db: deps.db, commands }) }),
    ...incidentRoutes({ db: deps.db }),
    ...lookupRoutes({ db: deps.db }),
    ...metricsRoutes({ db: deps.db }),
    ...catalogueRoutes({ db: deps.db }),
    ...inventoryRoutes({ db: deps.db, client: deps.client, log, reach: deps.orderSettings.allocationReach }),
    ...stockControlRoutes({ db: deps.db, client: deps.client, log, reach: deps.orderSettings.allocationReach, taskQueue: deps.taskQueues.orders, replenishment: deps.replenishment }),
    ...carrierWebhookRoutes({ db: deps.db, commands, webhookSecrets: deps.webhookSecrets }),
    ...reportRoutes({ db: deps.db }),
    ...financeRoutes(deps),
    ...statementRoutes({ db: deps.db, client: deps.client }),
    ...paymentRoutes({ db: deps.db, client: deps.client, log }),
    ...analyticsRoutes({ db: deps.db }),
    ...(deps.codec ? codecRoutes({ codec: deps.codec, uiToken: deps.uiCodecToken }) : []),
    ...complaintRoutes({
      db: deps.db,
      client: deps.client,
      ordersTaskQueue: deps.taskQueues.orders,
      complaints: deps.complaints ?? { responseWindowMs: 86_400_000, escalationWindowMs: 7 * 86_400_000 },
      log,
    }),
    ...(deps.webhooks ? webhookSubscriptionRoutes({ db: deps.db, ...deps.webhooks }) : []),
    ...apiKeyRoutes({ db: deps.db, ring }),
  ];
  routes.push(
    route({
      method: 'get',
      path: '/metrics',
      tag: 'operations',
      summary: 'Prometheus metrics: HTTP requests, orders by status, open incidents, outbox and webhook backlogs',
      access: deps.metricsPublic ? 'public' : ['operator'],
      responses: { 200: 'text/plain; version=0.0.4' },
      handler: async ({ res }) => {
        const text = `${httpMetrics.text()}\n${gaugesText(await gauges())}\n`;
        res.type('text/plain; version=0.0.4; charset=utf-8').send(text);
      },
    }),
  );
  const document = openApiDocument(routes, { version: '1' });
  routes.push(
    route({
      method: 'get',
      path: '/openapi.json',
      tag: 'operations',
      summary: 'This document',
      access: 'public',
      responses: { 200: 'OpenAPI 3.1' },
      handler: ({ res }) => void res.json(document),
    }),
  );

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(httpMetrics.middleware());
  app.use(securityHeaders(security));
  if (deps.logger) app.use(requestLog(deps.logger.child({ component: 'http' })));
  if (deps.codec) app.use('/codec', codecCors(deps.uiOrigins ?? []));
  // Before any route: a preflight needs no key and runs no handler.
  app.use('/v1', cors(security.corsOrigins));
  const router = express.Router();
  mount(router, routes, ring, { bodyLimitBytes: security.bodyLimitBytes, afterAuth: perKeyRateLimit(security.rateLimitPerMinute) });
  app.use(router);
  app.use(() => {
    throw new HttpProblem(404, 'Not found', 'no such resource; see /openapi.json');
  });
  app.use(problemHandler(log));
  return app;
}

/** One line per answered request; a request about an order (by its URL, or the Location of one just placed) carries its ids. */
function requestLog(logger: Logger): express.RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const orderId = ORDER_URL.exec(req.originalUrl)?.[1] ?? ORDER_URL.exec(String(res.get('location') ?? ''))?.[1];
      const matched = (req.route as { path?: unknown } | undefined)?.path;
      logger.info(
        {
          method: req.method,
          route: typeof matched === 'string' ? matched : undefined,
          status: res.statusCode,
          durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
          keyId: req.caller?.keyId,
          ...(orderId ? orderBindings(orderId.toLowerCase()) : {}),
        },
        `${req.method} ${req.originalUrl.split('?')[0]} ${res.statusCode}`,
      );
    });
    next();
  };
}

/** R6.2, R6.3, R6.6: agreements and their Schedules, fx rates, settlement runs. */
function financeRoutes(deps: ApiDeps) {
  const finance = {
    db: deps.db,
    client: deps.client,
    financeTaskQueue: deps.taskQueues.finance,
    decisionWaitMs: deps.settlement?.decisionWaitMs ?? 5 * 24 * 3_600_000,
    answerTimeoutMs: deps.answerTimeoutMs,
  };
  return [...agreementRoutes(finance), ...fxRateRoutes(finance), ...settlementRoutes(finance)];
}
