package dev.herald.bench.core;

import dev.herald.core.Broker;
import dev.herald.core.BrokerStats;
import dev.herald.core.policy.DeliveryPolicy;
import java.util.List;

/**
 * Herald's in-process broker with its in-memory engine, its default executor and no history, every subscription
 * with the given delivery policy. Topics are named {@code bench.t<index>}.
 */
final class HeraldFanOut implements FanOut {
    private final Broker<Object> broker;
    private final String[] topicNames;

    HeraldFanOut(Counter[][] countersByTopic, DeliveryPolicy policy) {
        broker = Broker.<Object>builder().defaultDelivery(policy).build();
        topicNames = new String[countersByTopic.length];
        for (int topic = 0; topic < countersByTopic.length; topic++) {
            topicNames[topic] = "bench.t" + topic;
            for (Counter counter : countersByTopic[topic]) {
                broker.subscribe(topicNames[topic], message -> counter.increment());
            }
        }
    }

    @Override
    public void publish(int topic, Object payload) {
        broker.publish(topicNames[topic], payload);
    }

    @Override
    public void publishAll(int topic, List<Object> payloads) {
        broker.publishAll(topicNames[topic], payloads);
    }

    /** The broker's counters, for checks by the benchmarks. */
    BrokerStats stats() {
        return broker.stats();
    }

    @Override
    public void close() {
        BrokerStats stats = broker.stats();
        broker.close();
        if (stats.rejected() != 0 || stats.dropped() != 0 || stats.subscriberErrors() != 0) {
            throw new IllegalStateException("the broker lost messages during the benchmark: " + stats);
        }
    }
}
