import { connectionItemId } from '../core/connections/index.js';
import type { DeadLetterStore } from '../ports/dead-letter-store.js';
import type { ConnectionDeadLetters } from './intake.js';

/**
 * Keeps a record the gateway refused for good in the dead-letter store of the connection's space: the event as it
 * was offered, under an id derived from the record's position (a record refused again replaces its dead letter), no
 * subscription or function, and the error naming the connection.
 */
export function storedConnectionDeadLetters(store: DeadLetterStore, now: () => number = Date.now): ConnectionDeadLetters {
  return {
    async put(connection, record, event, error) {
      const at = now();
      await store.put({
        item: {
          id: connectionItemId(connection.space, connection.connectionId, record.eventId, ''),
          space: connection.space,
          subscriptionId: '',
          functionId: '',
          eventType: connection.eventType,
          event: JSON.stringify(event),
          system: false,
          acceptedAt: at,
        },
        attempts: 1,
        firstAttemptAt: at,
        lastAttemptAt: at,
        deadAt: at,
        lastError: { message: `connection ${connection.connectionId}: ${error.message}`, ...(error.status !== undefined ? { status: error.status } : {}) },
        connectionId: connection.connectionId,
      });
    },
  };
}
