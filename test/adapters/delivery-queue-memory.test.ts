import { MemoryDeliveryQueue } from '../../lib/adapters/queue/memory/index.js';
import { runDeliveryQueueContract } from '../contracts/delivery-queue.contract.js';

runDeliveryQueueContract('memory', async (options) => {
  const queue = new MemoryDeliveryQueue(options);
  return {
    queue,
    async cleanup() {
      await queue.close();
    },
  };
});
