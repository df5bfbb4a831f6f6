package dev.herald.core;

/**
 * Broker-wide counters at one moment. Counters only grow; gauges ({@code topics}, {@code subscriptions},
 * {@code pending}) are current values.
 *
 * @param published      messages accepted
 * @param rejected       publishes refused
 * @param delivered      deliveries to subscribers (one message to three subscribers counts three)
 * @param dropped        deliveries dropped by delivery policies, for any reason
 * @param subscriberErrors exceptions thrown by subscribers
 * @param slowConsumersClosed subscriptions closed as slow consumers
 * @param topics         topics that exist now
 * @param subscriptions  open subscriptions now
 * @param pending        messages queued for delivery now, over all subscriptions
 */
public record BrokerStats(long published, long rejected, long delivered, long dropped, long subscriberErrors,
                          long slowConsumersClosed, long topics, long subscriptions, long pending) {
}
