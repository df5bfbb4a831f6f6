package dev.herald.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.core.policy.DeliveryPolicy;
import dev.herald.core.policy.HistoryPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A subscriber whose {@link Subscriber#offer} refuses a message has it counted as dropped, never as delivered. */
class RefusingSubscriberTest {

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (String filter : List.of("t", ">")) {
            cases.add(Arguments.of(filter, "direct", DeliveryPolicy.direct()));
            cases.add(Arguments.of(filter, "dropOldest", DeliveryPolicy.dropOldest(1000)));
            cases.add(Arguments.of(filter, "dropNewest", DeliveryPolicy.dropNewest(1000)));
        }
        return cases.stream();
    }

    /** Takes even offsets, refuses odd ones. */
    private static final class EvenOnly implements Subscriber<String> {
        final List<Long> taken = new ArrayList<>();

        @Override
        public void onMessage(Message<String> message) {
            throw new AssertionError("the broker hands messages through offer");
        }

        @Override
        public boolean offer(Message<String> message) {
            if (message.offset() % 2 == 1) {
                return false;
            }
            taken.add(message.offset());
            return true;
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void refusedMessagesAreDroppedNotDelivered(String filter, String name, DeliveryPolicy policy) {
        try (Broker<String> broker = Broker.<String>builder()
                .executor(Runnable::run).history(HistoryPolicy.lastN(100)).build()) {
            for (int i = 1; i <= 4; i++) {
                broker.publish("t", "h" + i);
            }
            EvenOnly live = new EvenOnly();
            Subscription liveSub = broker.subscribe(filter, SubscribeOptions.live().delivery(policy), live);
            EvenOnly replayed = new EvenOnly();
            Subscription replayedSub = filter.equals("t")
                    ? broker.subscribe("t", SubscribeOptions.last(4).delivery(policy), replayed)
                    : null;
            for (int i = 5; i <= 10; i++) {
                broker.publish("t", "m" + i);
            }
            assertEquals(List.of(6L, 8L, 10L), live.taken);
            assertEquals(new SubscriptionStats(3, 0, 3, 0, 0, 0), liveSub.stats());
            long delivered = 3;
            long dropped = 3;
            if (replayedSub != null) {
                assertEquals(List.of(2L, 4L, 6L, 8L, 10L), replayed.taken);
                assertEquals(new SubscriptionStats(5, 0, 5, 0, 0, 0), replayedSub.stats());
                delivered += 5;
                dropped += 5;
            }
            assertEquals(delivered, broker.stats().delivered());
            assertEquals(dropped, broker.stats().dropped());
        }
    }
}
