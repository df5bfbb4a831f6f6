package dev.herald.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.herald.core.contract.ResumeSeamContract.LateReadEngine;
import dev.herald.core.internal.InMemoryEngine;
import dev.herald.core.policy.DeliveryPolicy;
import dev.herald.core.policy.HistoryPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Regression tests: live messages that arrive while a replay read is outstanding are delivered even when the read,
 * answered later, no longer holds them (only the newest were asked for, or the history bound evicted them).
 */
class LateReplayReadTest {

    private static List<Long> subscribeWhilePublishing(SubscribeOptions options, int retain, boolean direct) {
        List<LateReadEngine<String>> engines = new ArrayList<>();
        try (Broker<String> broker = Broker.<String>builder().executor(Runnable::run)
                .history(HistoryPolicy.lastN(retain))
                .engine(context -> {
                    LateReadEngine<String> engine = new LateReadEngine<>(new InMemoryEngine<>(context), true);
                    engines.add(engine);
                    return engine;
                }).build()) {
            broker.publish("t", "before");
            List<Long> got = new ArrayList<>();
            engines.get(0).holding = true;
            CompletableFuture<Subscription> subscribing = broker.subscribeAsync("t",
                    options.delivery(direct ? DeliveryPolicy.direct() : DeliveryPolicy.dropOldest(16)),
                    m -> got.add(m.offset())).toCompletableFuture();
            broker.publish("t", "while the read is out");
            broker.publish("t", "while the read is out");
            assertFalse(subscribing.isDone());
            engines.get(0).release();
            subscribing.join();
            broker.publish("t", "after");
            return got;
        }
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {true, false})
    void replayOfTheLastMessageAnsweredLateStillDeliversEveryLiveMessage(boolean direct) {
        // The read, answered after offsets 2 and 3 landed, replays only offset 3; offset 2 came live and must stay.
        assertEquals(List.of(2L, 3L, 4L), subscribeWhilePublishing(SubscribeOptions.last(1), 10, direct));
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {true, false})
    void liveMessagesEvictedFromHistoryBeforeALateResumeReadAreStillDelivered(boolean direct) {
        // History keeps one message: by the time the read is answered offset 2 is evicted, but it came live.
        SubscribeOptions fromFirst = SubscribeOptions.from(new StreamPosition(0, "another epoch"));
        assertEquals(List.of(2L, 3L, 4L), subscribeWhilePublishing(fromFirst, 1, direct));
    }
}
