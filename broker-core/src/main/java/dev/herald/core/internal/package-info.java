/**
 * The broker's implementation. Not exported by the module; nothing here is API.
 *
 * <p>Data flow: {@code DefaultBroker} validates, then the {@code Engine} sequences and stores each message and
 * hands it to the {@code Hub}, which finds the matching subscriptions (an exact-topic map and a wildcard trie,
 * so routing never scans unrelated subscriptions) and offers the message to each {@code QueuedSubscription}.
 */
package dev.herald.core.internal;
