/**
 * The delivery Lambda's SQS event source settings, apart from the CDK code so that the bench's event source
 * emulation (bench/aws.ts) reads the same numbers.
 *
 * A message is a bundle of items (up to 1 MiB, 500 items; about 20 at 1,000 events/s, 100 at 5,000 with the
 * router's 20 ms linger), so one invocation takes up to 100 bundles, gathered for at most 1 s: fewer, fuller
 * invocations, and the event source's receives and deletes fall with them. The 6 MB invocation payload limit
 * caps a batch of large bundles first; Lambda then hands the rest to the next invocation.
 */
export const DELIVERY_BATCH_SIZE = 100;
/** How long the event source gathers a batch before invoking with what it has, seconds (needed above 10 messages). */
export const DELIVERY_BATCHING_WINDOW_SECONDS = 1;
