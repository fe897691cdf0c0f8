import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { GatewayEvent, SystemEventType } from '../core/cloudevents/index.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayHooks, HookRequest } from './types.js';

/** Thrown when a sync hook vetoes a system event. */
export class HookVeto extends Error {
  constructor(
    readonly hook: string,
    reason: unknown,
  ) {
    super(`hook ${hook} vetoed: ${reason instanceof Error ? reason.message : String(reason)}`, { cause: reason });
    this.name = 'HookVeto';
  }
}

/** Thrown when `beforeRoute` rejects an event; carries the status the client gets. */
export class HookRejection extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = 'HookRejection';
  }
}

/** Runs the loaded hooks in load order. With no hooks every method is a cheap no-op. */
export class HookRunner {
  private readonly withBeforeRoute: GatewayHooks[];

  constructor(
    private readonly hooks: readonly GatewayHooks[],
    private readonly logger?: Logger,
  ) {
    this.withBeforeRoute = hooks.filter((h) => typeof h.beforeRoute === 'function');
  }

  get hasBeforeRoute(): boolean {
    return this.withBeforeRoute.length > 0;
  }

  async beforeRoute(event: GatewayEvent, request: HookRequest): Promise<GatewayEvent> {
    let current = event;
    for (const hook of this.withBeforeRoute) {
      try {
        current = (await hook.beforeRoute!(current, request)) ?? current;
      } catch (error) {
        const status = (error as { statusCode?: unknown }).statusCode;
        const message = error instanceof Error ? error.message : String(error);
        throw new HookRejection(message, typeof status === 'number' && status >= 400 && status < 500 ? status : 403);
      }
    }
    return current;
  }

  /** True when some hook listens for this system event type (lets callers skip building the event). */
  listens(type: SystemEventType): boolean {
    return this.hooks.some((h) => h.sync?.[type] !== undefined || h.async?.[type] !== undefined);
  }

  /**
   * Runs the handlers for one system event: async ones are started and left; sync ones are awaited in load order
   * and the first that throws vetoes (throws {@link HookVeto}) unless `vetoable` is false, when errors are logged.
   */
  async systemEvent(type: SystemEventType, event: GatewayEvent, vetoable: boolean): Promise<void> {
    for (const hook of this.hooks) {
      const asyncHandler = hook.async?.[type];
      if (asyncHandler) {
        Promise.resolve()
          .then(() => asyncHandler(event))
          .catch((error: unknown) => this.logger?.warn({ err: error, hook: hook.name, type }, 'async hook failed'));
      }
      const syncHandler = hook.sync?.[type];
      if (!syncHandler) continue;
      try {
        await syncHandler(event);
      } catch (error) {
        if (vetoable) throw new HookVeto(hook.name ?? 'anonymous', error);
        this.logger?.warn({ err: error, hook: hook.name, type }, 'hook failed');
      }
    }
  }
}

/** Loads hooks modules: compiled `.js`, or `.ts` (the gateway runs under tsx). */
export async function loadHooks(paths: readonly string[]): Promise<GatewayHooks[]> {
  const loaded: GatewayHooks[] = [];
  for (const path of paths) {
    const module = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown; hooks?: unknown };
    const hooks = (module.default ?? module.hooks) as GatewayHooks | undefined;
    if (!hooks || typeof hooks !== 'object') {
      throw new Error(`hooks module ${path} exports no hooks: export default { beforeRoute?, sync?, async? }`);
    }
    loaded.push({ name: path, ...hooks });
  }
  return loaded;
}
