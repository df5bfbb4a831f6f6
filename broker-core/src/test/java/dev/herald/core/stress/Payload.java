package dev.herald.core.stress;

/**
 * What stress publishers send: who published it and its sequence number at that publisher, so a receiver can
 * check that the message at an offset is the one that was published there.
 *
 * @param publisher the publishing thread's index
 * @param sequence  its count of publishes so far
 */
record Payload(int publisher, long sequence) {
}
