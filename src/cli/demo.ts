import fs from 'node:fs';
import path from 'node:path';

// `npm run demo`: places a few sample orders with the running `npm start` over HTTP,
// then follows them to `completed`, signing for each delivery and rating it on the way.
// One order quotes a wrong price: it needs correction, gets corrected, and carries on.

const api = process.env.ORDERFLOW_API_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;
const dataDir = path.resolve(process.env.ORDERFLOW_DATA_DIR ?? '.data');
const timeoutMs = Number(process.env.DEMO_TIMEOUT_MS ?? 15 * 60_000);

function integratorKey(): string {
  const fromEnv = process.env.ORDERFLOW_API_KEYS?.split(',')
    .map((p) => p.trim().split(':'))
    .find(([role]) => role === 'integrator' || role === 'admin')?.[1];
  if (fromEnv) return fromEnv;
  try {
    return (JSON.parse(fs.readFileSync(path.join(dataDir, 'dev-keys.json'), 'utf8')) as { integrator: string }).integrator;
  } catch {
    console.error(`No API key: start orderflow first (npm start writes ${path.join(dataDir, 'dev-keys.json')}), or set ORDERFLOW_API_KEYS.`);
    process.exit(2);
  }
}

const key = integratorKey();

async function call<T>(method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${api}${url}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

const customer = (name: string, city: string, region: string, postalCode: string, email: string) => ({
  name,
  email,
  phone: '+49 30 5550100',
  address: { line1: 'Hauptstraße 5', city, region, postalCode, country: 'DE' },
});

const SAMPLES = [
  {
    label: 'tea and a mug, web shop',
    body: {
      channel: 'web',
      priority: 'normal',
      currency: 'EUR',
      customer: customer('Ada Lovelace', 'Berlin', 'BE', '10117', 'ada@example.com'),
      items: [
        { sku: 'TEA-OOLONG-100', quantity: 2, unitPrice: 1290 },
        { sku: 'MUG-STONE-350', quantity: 1, unitPrice: 1850 },
      ],
      settlement: { method: 'prepaid' },
    },
  },
  {
    label: 'urgent chair, sales rep, cash on delivery',
    body: {
      channel: 'sales_rep',
      priority: 'urgent',
      currency: 'EUR',
      customer: customer('Grace Hopper', 'München', 'BY', '80331', 'grace@example.com'),
      items: [{ sku: 'CHAIR-OAK', quantity: 2, unitPrice: 18900 }],
      settlement: { method: 'cash_on_delivery' },
    },
  },
  {
    label: 'a lamp at an old price, marketplace (needs correction)',
    body: {
      channel: 'marketplace',
      partner: 'demo-market',
      priority: 'normal',
      currency: 'EUR',
      customer: customer('Alan Turing', 'Hamburg', 'HH', '20095', 'alan@example.com'),
      items: [{ sku: 'LAMP-DESK-LED', quantity: 1, unitPrice: 5900 }],
      settlement: { method: 'prepaid' },
    },
  },
];

interface Order {
  id: string;
  number: string;
  status: string;
  stage: string;
  verification?: { passed: boolean; reasons: { message: string }[] } | null;
  shipments?: { carrier: string; trackingNumber: string | null }[];
  totals?: { total: number; currency: string };
}

async function main(): Promise<void> {
  const ready = await fetch(`${api}/readyz`).catch(() => undefined);
  if (!ready?.ok) {
    console.error(`orderflow is not answering at ${api}: run \`npm start\` first (ORDERFLOW_TIME_SCALE=0.001 npm start makes a week pass in ten minutes).`);
    process.exit(2);
  }
  const orders: { label: string; id: string; number: string; last: string; done: boolean }[] = [];
  for (const sample of SAMPLES) {
    const { status, body } = await call<Order>('POST', '/v1/orders', sample.body);
    if (status >= 300) throw new Error(`create failed (${status}): ${JSON.stringify(body)}`);
    const verdict = body.verification?.passed ? 'verified' : `needs correction: ${body.verification?.reasons.map((r) => r.message).join('; ')}`;
    console.log(`placed ${body.number} — ${sample.label} → ${verdict}`);
    orders.push({ label: sample.label, id: body.id, number: body.number, last: '', done: false });
  }

  const started = Date.now();
  while (orders.some((o) => !o.done)) {
    if (Date.now() - started > timeoutMs) throw new Error('the demo orders did not complete in time; is ORDERFLOW_TIME_SCALE small enough?');
    for (const o of orders.filter((x) => !x.done)) {
      const { body } = await call<Order>('GET', `/v1/orders/${o.id}`);
      if (body.status !== o.last) {
        const via = body.shipments?.[0]?.trackingNumber ? ` (${body.shipments[0].carrier} ${body.shipments[0].trackingNumber})` : '';
        console.log(`${new Date().toISOString().slice(11, 19)}  ${o.number}  ${body.status}${body.status === 'dispatched' ? via : ''}`);
        o.last = body.status;
      }
      if (body.status === 'needs_correction') {
        const { body: corrected } = await call<Order>('POST', `/v1/orders/${o.id}/corrections`, {
          items: [{ sku: 'LAMP-DESK-LED', quantity: 1, unitPrice: 6400 }],
        });
        console.log(`           ${o.number}  corrected the price → ${corrected.verification?.passed ? 'verified' : 'still failing'}`);
      } else if (body.status === 'awaiting_payment' && body.totals) {
        // A prepaid order ships once paid (R6.1): the customer pays by card, once per reference.
        const paid = await call<{ id: string }>('POST', '/v1/payments', {
          orderId: o.id,
          amount: body.totals.total,
          currency: body.totals.currency,
          method: 'card',
          reference: `demo-${o.number}`,
        });
        if (paid.status >= 300) throw new Error(`payment failed (${paid.status}): ${JSON.stringify(paid.body)}`);
        console.log(`           ${o.number}  paid ${body.totals.total} ${body.totals.currency} (minor units) by card`);
      } else if (body.status === 'delivered') {
        await call('POST', `/v1/orders/${o.id}/sign-off`, {
          recipientName: 'Demo Recipient',
          credential: { type: 'order_number', value: o.number },
          packagingIntact: true,
          quantitiesMatch: true,
        });
      } else if (body.status === 'awaiting_feedback') {
        await call('POST', `/v1/orders/${o.id}/feedback`, {
          channel: 'online',
          ratings: { productQuality: 5, serviceAttitude: 5, deliveryPunctuality: 4, resolutionEfficiency: 5 },
        });
      } else if (body.status === 'completed' || body.status === 'cancelled') {
        o.done = true;
      }
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  console.log(`all ${orders.length} demo orders completed in ${Math.round((Date.now() - started) / 1000)} s; see them at ${api}/v1/orders and in the Temporal UI`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
