// An example hooks module (load it with `npm start -- --hooks examples/hooks/enrich-and-guard.ts`).
// - beforeRoute: stamps every http.request event with the tenant from the `x-tenant` header, and refuses
//   requests to /admin without it (the client gets 401 and the message).
// - sync function.invoking: vetoes calls to functions named `disabled-*`.
// - async function.invoked: counts successful invocations without ever slowing a request.
import type { GatewayHooks } from '../../lib/hooks/index.js';

let invoked = 0;

const hooks: GatewayHooks = {
  name: 'enrich-and-guard',
  beforeRoute(event, request) {
    const tenant = request.headers['x-tenant'];
    if (request.path.startsWith('/admin') && !tenant) {
      throw Object.assign(new Error('x-tenant header required'), { statusCode: 401 });
    }
    if (typeof tenant !== 'string' || !('eventType' in event) || event.eventType !== 'http.request') return;
    return { ...event, extensions: { ...event.extensions, tenant } };
  },
  sync: {
    'eventgateway.function.invoking'(event) {
      const data = (event as { data?: { functionId?: string } }).data;
      if (data?.functionId?.startsWith('disabled-')) throw new Error(`${data.functionId} is disabled`);
    },
  },
  async: {
    'eventgateway.function.invoked'() {
      invoked++;
    },
  },
};

export function invokedCount(): number {
  return invoked;
}

export default hooks;
