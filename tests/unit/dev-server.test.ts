import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { devServerArgs, isPortFree, isTemporalDevServerCommand, PortInUseError, startDevServer } from '../../src/temporal/dev-server';
import { ORDER_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';

// The dev server's command line and the checks it makes before spawning anything.

describe('devServerArgs', () => {
  const base = { ip: '127.0.0.1', port: 7233, namespace: 'default', searchAttributes: {} };

  it('runs headless, quiet and without the version check by default', () => {
    expect(devServerArgs(base)).toEqual([
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      '7233',
      '--log-level',
      'warn',
      '--dynamic-config-value',
      'frontend.enableServerVersionCheck=false',
      '--headless',
    ]);
  });

  it('adds UI, codec endpoint, state file, namespace and one flag per search attribute', () => {
    const args = devServerArgs({
      ...base,
      uiPort: 8233,
      uiCodecEndpoint: 'http://127.0.0.1:3000/codec',
      dbFile: '.data/temporal.sqlite',
      namespace: 'orderflow',
      searchAttributes: ORDER_SEARCH_ATTRIBUTES,
    });
    expect(args).not.toContain('--headless');
    expect(args.join(' ')).toContain('--ui-port 8233 --ui-disable-news-fetch --ui-codec-endpoint http://127.0.0.1:3000/codec');
    expect(args.join(' ')).toContain('--db-filename .data/temporal.sqlite');
    expect(args.join(' ')).toContain('--namespace orderflow');
    const attributes = args.filter((_, i) => args[i - 1] === '--search-attribute');
    expect(attributes).toEqual([
      'OrderStatus=Keyword',
      'OrderStage=Keyword',
      'OrderNumber=Keyword',
      'CustomerId=Keyword',
      'Channel=Keyword',
      'Priority=Keyword',
      'Region=Keyword',
      'Carrier=Keyword',
      'NeedsAttention=Bool',
    ]);
  });

  it('passes extra dynamic config as JSON values', () => {
    const args = devServerArgs({ ...base, dynamicConfig: { 'history.timerProcessorMaxTimeShift': '10ms', 'limit.maxIDLength': 255 } });
    const values = args.filter((_, i) => args[i - 1] === '--dynamic-config-value');
    expect(values).toEqual(['frontend.enableServerVersionCheck=false', 'history.timerProcessorMaxTimeShift="10ms"', 'limit.maxIDLength=255']);
  });

  it('refuses a search attribute name the CLI would misparse', () => {
    expect(() => devServerArgs({ ...base, searchAttributes: { 'a=b': 'Keyword' } })).toThrow(/not an identifier/);
  });
});

describe('isTemporalDevServerCommand', () => {
  it('recognises start-dev of any temporal binary', () => {
    expect(isTemporalDevServerCommand(['/x/.temporal/bin/temporal', 'server', 'start-dev', '--port', '7233'])).toBe(true);
    expect(isTemporalDevServerCommand(['/tmp/temporal-sdk-typescript-1.24.0', 'server', 'start-dev'])).toBe(true);
  });
  it('leaves other processes alone', () => {
    expect(isTemporalDevServerCommand(['/usr/bin/node', 'server', 'start-dev'])).toBe(false);
    expect(isTemporalDevServerCommand(['/x/temporal', 'workflow', 'list'])).toBe(false);
    expect(isTemporalDevServerCommand([])).toBe(false);
  });
});

describe('ports', () => {
  it('reports a taken port by number and by the setting that chose it, before spawning', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      expect(await isPortFree('127.0.0.1', port)).toBe(false);
      // The binary is never run: the port check comes first.
      const error = await startDevServer({ binary: '/nonexistent/temporal', port }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PortInUseError);
      expect((error as Error).message).toMatch(new RegExp(`port ${port} .*TEMPORAL_DEV_PORT`));
      const uiError = await startDevServer({ binary: '/nonexistent/temporal', port: 0, uiPort: port }).catch((e: unknown) => e);
      expect((uiError as Error).message).toMatch(new RegExp(`port ${port} .*TEMPORAL_UI_PORT`));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    expect(await isPortFree('127.0.0.1', port)).toBe(true);
  });
});
