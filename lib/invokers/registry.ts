import type { FunctionConfig, FunctionType } from '../core/model/types.js';
import { InvocationError } from '../core/response/index.js';
import type { InvocationRequest, InvocationResult, Invoker } from '../ports/invoker.js';

/** The invokers of every function type the gateway can call, chosen by the function's `type`. */
export class Invokers {
  private readonly byType = new Map<FunctionType, Invoker>();

  constructor(invokers: readonly Invoker[]) {
    for (const invoker of invokers) this.byType.set(invoker.type, invoker);
  }

  invoke(fn: FunctionConfig, request: InvocationRequest): Promise<InvocationResult> {
    const invoker = this.byType.get(fn.type);
    if (!invoker) {
      return Promise.reject(new InvocationError('call-failed', `no invoker for function type ${fn.type} in this gateway`));
    }
    return invoker.invoke(fn, request);
  }

  async close(): Promise<void> {
    await Promise.all([...this.byType.values()].map((i) => i.close()));
  }
}
