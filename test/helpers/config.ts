import assert from 'node:assert/strict';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { call } from './http.js';
import { eventually } from './sink.js';

/** Creates config items through the config API, asserting each succeeded, then waits until the router uses them. */
export class ConfigClient {
  constructor(
    private readonly gw: RunningGateway,
    readonly space = 'default',
  ) {}

  async eventType(name: string, extra: Record<string, unknown> = {}): Promise<void> {
    await this.post('eventtypes', { name, ...extra });
  }

  async httpFunction(functionId: string, url: string, extra: Record<string, unknown> = {}): Promise<void> {
    await this.post('functions', { functionId, type: 'http', provider: { url, ...extra } });
  }

  async subscribe(subscription: Record<string, unknown>): Promise<string> {
    const body = await this.post('subscriptions', subscription);
    return (body as { subscriptionId: string }).subscriptionId;
  }

  async cors(config: Record<string, unknown>): Promise<void> {
    await this.post('cors', config);
  }

  async post(resource: string, body: unknown): Promise<unknown> {
    const res = await call(this.gw.configUrl, 'POST', `/v1/spaces/${this.space}/${resource}`, body);
    assert.equal(res.status, 201, `POST ${resource} ${JSON.stringify(body)} → ${res.status} ${res.text}`);
    await routed(this.gw);
    return res.json();
  }
}

/** Waits until the routing table was rebuilt from every registry change seen so far. */
export async function routed(gw: RunningGateway): Promise<void> {
  await new Promise((r) => setImmediate(r));
  await eventually(() => gw.routing.builtVersion === gw.routing.version, 2000, 'routing table rebuilt');
}
