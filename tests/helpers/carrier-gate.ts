import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A door in front of the real carrier sandbox (point CARRIER_API_URL at `url`, then set
 * `target` to the sandbox). Open, it passes everything through. A test may close it to
 * hold rate requests (an order held there has reserved stock and is not yet with a
 * carrier), or make it refuse bookings or tracking polls as a carrier would.
 */
export async function startCarrierGate() {
  let target = '';
  let open = true;
  let refuseBookings = false;
  let refused = 0;
  let refuseTracking = false;
  let refusedPolls = 0;
  const held: (() => void)[] = [];
  const server = http.createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      if (!open && req.method === 'POST' && req.url === '/v1/rates') await new Promise<void>((resolve) => held.push(resolve));
      if (refuseBookings && req.method === 'POST' && req.url === '/v1/shipments') {
        refused++;
        res.writeHead(422, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ title: 'Booking refused', detail: 'pick-up address not served this week', code: 'pickup_unavailable' }));
        return;
      }
      if (refuseTracking && req.method === 'GET' && /^\/v1\/shipments\/[^/]+$/.test(req.url ?? '')) {
        refusedPolls++;
        res.writeHead(404, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ title: 'Not found', detail: 'tracking service unavailable for this parcel', code: 'shipment_not_found' }));
        return;
      }
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'accept', 'idempotency-key']) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const upstream = await fetch(`${target}${req.url}`, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
      const replyHeaders: Record<string, string> = { 'content-type': upstream.headers.get('content-type') ?? 'application/json' };
      const replayed = upstream.headers.get('idempotent-replayed');
      if (replayed) replyHeaders['idempotent-replayed'] = replayed;
      res.writeHead(upstream.status, replyHeaders);
      res.end(Buffer.from(await upstream.arrayBuffer()));
    })().catch((err: unknown) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    set target(url: string) {
      target = url.replace(/\/+$/, '');
    },
    /** Holds rate requests until `open()`. */
    close() {
      open = false;
    },
    heldCount: () => held.length,
    open() {
      open = true;
      for (const release of held.splice(0)) release();
    },
    set refuseBookings(on: boolean) {
      refuseBookings = on;
    },
    refusedBookings: () => refused,
    /** Answers tracking polls (GET /v1/shipments/{n}) with a carrier's 404. */
    set refuseTracking(on: boolean) {
      refuseTracking = on;
    },
    refusedPolls: () => refusedPolls,
    stop: () =>
      new Promise<void>((resolve) => {
        open = true;
        for (const release of held.splice(0)) release();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
