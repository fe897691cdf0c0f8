import { InProcessLimiter } from '../../../lib/adapters/limiter/index.js';
import { runDeliveryLimiterContract } from '../../contracts/delivery-limiter.contract.js';

runDeliveryLimiterContract('in-process', async (now) => {
  const limiter = new InProcessLimiter({ now });
  return { limiter, cleanup: () => limiter.close() };
});
