import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpCarrierGateway } from '../../src/carriers/sandbox-gateway';
import { WebhookTrackingEvent, parsePolledEvents, type RefusedTrackingEvent } from '../../src/carriers/tracking-event-schema';

// A carrier's tracking events are parsed so that whatever passes can be stored: text
// Postgres refuses is refused at the webhook and cleaned in poll answers, a time it cannot
// hold is refused, and one bad event in a poll answer never sinks the others.

const event = (overrides: Record<string, unknown> = {}) => ({
  eventId: 'SWS1-02',
  carrier: 'swiftship',
  trackingNumber: 'SWS1',
  reference: 'A1B2C3D4-0000-4000-8000-00000000000A',
  status: 'in_transit',
  occurredAt: '2030-01-01T10:00:00+01:00',
  location: 'Hub',
  description: 'Departed',
  ...overrides,
});

describe('the webhook event schema', () => {
  it('accepts an event, normalising its time to UTC and a UUID reference to lower case', () => {
    expect(WebhookTrackingEvent.parse(event({ occurredAt: new Date(Date.now() - 60_000).toISOString().replace('Z', '+00:00') }))).toMatchObject({
      reference: 'a1b2c3d4-0000-4000-8000-00000000000a',
    });
    expect(WebhookTrackingEvent.safeParse(event({ occurredAt: '2020-01-01T10:00:00+01:00' })).data?.occurredAt).toBe('2020-01-01T09:00:00.000Z');
  });

  it.each([
    ['a NUL in the description', { description: 'a\u0000b' }, 'description'],
    ['a lone surrogate in the location', { location: '\udc00' }, 'location'],
    ['a NUL in the event id', { eventId: 'e\u0000' }, 'eventId'],
    ['year 0000', { occurredAt: '0000-01-01T00:00:00Z' }, 'occurredAt'],
    ['year 10000 once in UTC', { occurredAt: '9999-12-31T23:59:59-01:00' }, 'occurredAt'],
    ['a week ahead', { occurredAt: new Date(Date.now() + 7 * 86_400_000).toISOString() }, 'occurredAt'],
  ])('refuses %s', (_what, overrides, field) => {
    const parsed = WebhookTrackingEvent.safeParse(event(overrides));
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => i.path.join('.'))).toContain(field);
  });
});

describe("a carrier's own status words", () => {
  const recent = new Date(Date.now() - 60_000).toISOString();
  const parse = (overrides: Record<string, unknown>) => WebhookTrackingEvent.parse(event({ occurredAt: recent, ...overrides }));

  it('keeps our statuses as they are, returned included, with no detail', () => {
    for (const status of ['label_created', 'in_transit', 'out_for_delivery', 'delivered', 'exception', 'returned']) {
      const parsed = parse({ status });
      expect(parsed.status).toBe(status);
      expect(parsed).not.toHaveProperty('statusDetail');
    }
  });

  it.each([
    ['return_to_sender', 'return_to_sender'],
    ['failure', 'failure'],
    ['delayed', 'delayed'],
    ['lost', 'lost'],
    ['damaged', 'damaged'],
    ['refused', 'refused'],
    ['address_not_found', 'address_not_found'],
    ['available_for_pickup', 'available_for_pickup'],
    ['Return To Sender', 'return_to_sender'],
    ['address-not-found', 'address_not_found'],
  ])('turns %s into an exception with its word as the detail', (status, detail) => {
    expect(parse({ status })).toMatchObject({ status: 'exception', statusDetail: detail });
  });

  it('lets an explicit statusDetail win, and carries a delay\'s new ETA', () => {
    expect(parse({ status: 'failure', statusDetail: 'address_not_found' })).toMatchObject({ status: 'exception', statusDetail: 'address_not_found' });
    expect(parse({ status: 'exception', statusDetail: 'delayed', newEta: '2030-01-05' })).toMatchObject({
      status: 'exception',
      statusDetail: 'delayed',
      newEta: '2030-01-05',
    });
    expect(parse({ status: 'in_transit' })).not.toHaveProperty('newEta');
  });

  it.each([
    ['an unknown word', { status: 'teleported' }, 'status'],
    ['an impossible new ETA', { newEta: '2030-02-30' }, 'newEta'],
    ['a new ETA with a time', { newEta: '2030-01-05T10:00:00Z' }, 'newEta'],
    ['an empty detail', { statusDetail: '' }, 'statusDetail'],
  ])('refuses %s', (_what, overrides, field) => {
    const parsed = WebhookTrackingEvent.safeParse(event({ occurredAt: recent, ...overrides }));
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => i.path.join('.'))).toContain(field);
  });

  it('normalises poll answers the same way', () => {
    const { events, refused } = parsePolledEvents([
      event({ eventId: 'rts', status: 'return_to_sender', occurredAt: recent }),
      event({ eventId: 'nope', status: 'beamed_up', occurredAt: recent }),
    ]);
    expect(events).toEqual([expect.objectContaining({ eventId: 'rts', status: 'exception', statusDetail: 'return_to_sender' })]);
    expect(refused.map((r) => r.eventId)).toEqual(['nope']);
  });
});

describe('a poll answer', () => {
  const answer = [
    event({ eventId: 'ok', occurredAt: '2024-01-01T00:00:00Z' }),
    event({ eventId: 'dirty', occurredAt: '2024-01-02T00:00:00Z', description: 'left\u0000 at door \ud800', location: 'x'.repeat(2_000) }),
    event({ eventId: 'year-zero', occurredAt: '0000-01-01T00:00:00Z' }),
    { eventId: 'not-an-event' },
    event({ eventId: 'after', status: 'delivered', occurredAt: '2024-01-03T00:00:00Z' }),
  ];

  it('is parsed event by event: text cleaned, unusable events set aside with their reason', () => {
    const { events, refused } = parsePolledEvents(answer);
    expect(events.map((e) => e.eventId)).toEqual(['ok', 'dirty', 'after']);
    expect(events[1]).toMatchObject({ description: 'left at door \ufffd' });
    expect(events[1]!.location).toHaveLength(1_000);
    expect(refused.map((r) => [r.index, r.eventId])).toEqual([
      [2, 'year-zero'],
      [3, 'not-an-event'],
    ]);
  });

  describe('from a carrier API over HTTP', () => {
    let server: http.Server;
    let url: string;
    beforeAll(async () => {
      server = http.createServer((_req, res) => {
        const foreign = event({ eventId: 'foreign', carrier: 'terraline', trackingNumber: 'TL1', occurredAt: '2024-01-04T00:00:00Z' });
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            carrier: 'swiftship',
            service: 'express',
            trackingNumber: 'SWS1',
            reference: 'ref',
            labelUrl: 'http://label',
            amount: 100,
            currency: 'EUR',
            createdAt: '2024-01-01T00:00:00Z',
            events: [...answer, foreign],
          }),
        );
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("gives the order every usable event of this parcel, and tells of the rest instead of failing the poll", async () => {
      const setAside: RefusedTrackingEvent[] = [];
      const gateway = new HttpCarrierGateway({ baseUrl: url, onRefusedEvent: (_shipment, refused) => setAside.push(refused) });
      const events = await gateway.track('swiftship', 'SWS1');
      expect(events.map((e) => e.eventId)).toEqual(['ok', 'dirty', 'after']);
      expect(setAside.map((r) => r.eventId)).toEqual(['year-zero', 'not-an-event', 'foreign']);
    });
  });
});
