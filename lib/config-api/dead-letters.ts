import { BadRequestError, NotFoundError } from '../core/errors/index.js';
import type { DeadLetterFilter, DeadLetterRecord, DeadLetterStore } from '../ports/dead-letter-store.js';
import { InvalidCursorError } from '../ports/dead-letter-store.js';
import type { DeliveryQueue } from '../ports/delivery-queue.js';

export const DEFAULT_DEAD_LETTER_PAGE = 100;
export const MAX_DEAD_LETTER_PAGE = 1000;

/** A dead letter as the config API shows it (docs/compatibility.md#dead-letters). */
export interface DeadLetterView {
  space: string;
  deadLetterId: string;
  subscriptionId: string;
  functionId: string;
  event: unknown;
  attempts: number;
  firstAttemptAt: string;
  lastAttemptAt: string;
  deadAt: string;
  lastError: { message: string; status?: number };
  /** The connection whose record the gateway refused; absent on delivery dead letters. */
  connectionId?: string;
}

export function toDeadLetterView(record: DeadLetterRecord): DeadLetterView {
  const { item } = record;
  let event: unknown;
  try {
    event = JSON.parse(item.event);
  } catch {
    event = item.event;
  }
  return {
    space: item.space,
    deadLetterId: item.id,
    subscriptionId: item.subscriptionId,
    functionId: item.functionId,
    event,
    attempts: record.attempts,
    firstAttemptAt: new Date(record.firstAttemptAt).toISOString(),
    lastAttemptAt: new Date(record.lastAttemptAt).toISOString(),
    deadAt: new Date(record.deadAt).toISOString(),
    lastError: record.lastError.status === undefined ? { message: record.lastError.message } : { ...record.lastError },
    ...(record.connectionId !== undefined ? { connectionId: record.connectionId } : {}),
  };
}

/**
 * Inspect, redrive and purge dead letters (docs/compatibility.md#dead-letters). A redrive re-enqueues the accepted item
 * as it was (same id, so the receiver sees the same `webhook-id`) with a fresh attempt count and a fresh age, then
 * removes it from the store: enqueue first, so a crash in between gives a duplicate, never a loss.
 */
export class DeadLetterService {
  constructor(
    private readonly store: DeadLetterStore,
    private readonly queue: DeliveryQueue,
    private readonly onRedriven: (count: number) => void = () => {},
  ) {}

  async list(space: string, query: URLSearchParams): Promise<{ deadLetters: DeadLetterView[]; nextCursor?: string }> {
    const limit = parseLimit(query.get('limit'));
    const cursor = query.get('cursor') ?? undefined;
    try {
      const page = await this.store.list(space, filterFrom(query), { limit, cursor: cursor || undefined });
      return { deadLetters: page.records.map(toDeadLetterView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
    } catch (error) {
      if (error instanceof InvalidCursorError) throw new BadRequestError(`Invalid cursor "${cursor}".`);
      throw error;
    }
  }

  async get(space: string, id: string): Promise<DeadLetterView> {
    return toDeadLetterView(await this.find(space, id));
  }

  async redriveOne(space: string, id: string): Promise<void> {
    const record = await this.find(space, id);
    if (record.connectionId !== undefined) throw notRedrivable(id, record.connectionId);
    await this.queue.enqueue([{ ...record.item, acceptedAt: Date.now() }]);
    await this.store.delete(space, id);
    this.onRedriven(1);
  }

  async redriveMatching(space: string, body: string): Promise<{ redriven: number }> {
    const filter = parseRedriveBody(body);
    let redriven = 0;
    let cursor: string | undefined;
    for (;;) {
      // A pass re-reads the first page (redriven records are deleted, so the cursor would skip records), unless
      // connections' dead letters, which stay, are on it.
      const page = await this.store.list(space, filter, { limit: MAX_DEAD_LETTER_PAGE, cursor });
      const records = page.records.filter((r) => r.connectionId === undefined);
      const now = Date.now();
      if (records.length > 0) await this.queue.enqueue(records.map((r) => ({ ...r.item, acceptedAt: now })));
      for (const record of records) await this.store.delete(space, record.item.id);
      redriven += records.length;
      if (records.length > 0) this.onRedriven(records.length);
      if (!page.nextCursor) break;
      cursor = records.length < page.records.length ? page.nextCursor : undefined;
    }
    return { redriven };
  }

  async purgeOne(space: string, id: string): Promise<void> {
    if (!(await this.store.delete(space, id))) throw notFound(id);
  }

  async purgeMatching(space: string, query: URLSearchParams): Promise<{ purged: number }> {
    const filter = filterFrom(query);
    if (filter.subscriptionId === undefined && filter.functionId === undefined) {
      throw new BadRequestError('Purging dead letters needs a subscriptionId or functionId filter.');
    }
    return { purged: await this.store.deleteMatching(space, filter) };
  }

  private async find(space: string, id: string): Promise<DeadLetterRecord> {
    const record = await this.store.get(space, id);
    if (!record) throw notFound(id);
    return record;
  }
}

const notFound = (id: string) => new NotFoundError(`Dead letter "${id}" not found.`);
const notRedrivable = (id: string, connectionId: string) =>
  new BadRequestError(
    `Dead letter "${id}" is a record of connection "${connectionId}" that the gateway refused: it has no subscription to redrive to. ` +
      'Read its event here, fix the cause, and send it to the events API again.',
  );

function filterFrom(query: URLSearchParams): DeadLetterFilter {
  const filter: DeadLetterFilter = {};
  const subscriptionId = query.get('subscriptionId');
  const functionId = query.get('functionId');
  if (subscriptionId) filter.subscriptionId = subscriptionId;
  if (functionId) filter.functionId = functionId;
  return filter;
}

function parseLimit(value: string | null): number {
  if (value === null || value === '') return DEFAULT_DEAD_LETTER_PAGE;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_DEAD_LETTER_PAGE) {
    throw new BadRequestError(`Invalid limit "${value}": expected a whole number from 1 to ${MAX_DEAD_LETTER_PAGE}.`);
  }
  return n;
}

function parseRedriveBody(body: string): DeadLetterFilter {
  if (body.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new BadRequestError('Redrive body must be a JSON object like {"subscriptionId": "…", "functionId": "…"}.');
  }
  if (parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BadRequestError('Redrive body must be a JSON object like {"subscriptionId": "…", "functionId": "…"}.');
  }
  const filter: DeadLetterFilter = {};
  for (const key of ['subscriptionId', 'functionId'] as const) {
    const value = (parsed as Record<string, unknown>)[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw new BadRequestError(`Redrive filter "${key}" must be a string.`);
    filter[key] = value;
  }
  return filter;
}
