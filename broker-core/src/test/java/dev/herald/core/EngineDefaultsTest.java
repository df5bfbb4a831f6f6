package dev.herald.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.spi.Engine;
import dev.herald.core.spi.EngineListener;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The SPI's default batch methods, for engines and listeners that do not override them: a batch is published one
 * message at a time, each once the previous one completed, and handed to a listener one message at a time, in order.
 */
@Timeout(10)
class EngineDefaultsTest {
    private static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");

    /** An engine whose publishes complete only when the test says so; everything else is unused. */
    private static final class PendingEngine implements Engine<String> {
        final List<String> published = new ArrayList<>();
        final List<CompletableFuture<PublishResult>> pending = new ArrayList<>();

        @Override
        public CompletionStage<PublishResult> publish(String topic, String data) {
            published.add(data);
            CompletableFuture<PublishResult> result = new CompletableFuture<>();
            pending.add(result);
            return result;
        }

        void complete(int index, PublishResult result) {
            pending.get(index).complete(result);
        }

        @Override
        public void start(EngineListener<String> listener) {
        }

        @Override
        public CompletionStage<History<String>> read(String topic, HistoryQuery query) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletionStage<Void> interest(String filter, boolean interested) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<Optional<TopicStats>> topicStats(String topic) {
            return CompletableFuture.completedFuture(Optional.empty());
        }

        @Override
        public long topicCount() {
            return 0;
        }

        @Override
        public void sweep() {
        }

        @Override
        public void close() {
        }
    }

    @Test
    void defaultPublishAllPublishesEachAfterThePreviousCompletedAndKeepsTheOrder() {
        PendingEngine engine = new PendingEngine();
        CompletableFuture<List<PublishResult>> all =
                engine.publishAll("t", List.of("a", "b", "c")).toCompletableFuture();
        assertEquals(List.of("a"), engine.published, "b waits for a");
        PublishResult first = new PublishResult.Accepted("t-1", "t", 1, "e", AT);
        engine.complete(0, first);
        assertEquals(List.of("a", "b"), engine.published);
        PublishResult second = new PublishResult.Rejected(RejectReason.TOO_MANY_TOPICS, "full");
        engine.complete(1, second);
        assertFalse(all.isDone(), "done only when the last one is");
        PublishResult third = new PublishResult.Accepted("t-2", "t", 2, "e", AT);
        engine.complete(2, third);
        assertTrue(all.isDone());
        assertEquals(List.of(first, second, third), all.join(), "one outcome per element, in order");
    }

    @Test
    void defaultOnMessagesHandsEachMessageOverInOrder() {
        List<Long> seen = new ArrayList<>();
        EngineListener<String> listener = new EngineListener<>() {
            @Override
            public void onMessage(Message<String> message) {
                seen.add(message.offset());
            }

            @Override
            public boolean hasSubscribers(String topic) {
                return false;
            }
        };
        listener.onMessages(List.of(new Message<>("t-1", "t", 1, AT, "a"), new Message<>("t-2", "t", 2, AT, "b"),
                new Message<>("t-3", "t", 3, AT, "c")));
        assertEquals(List.of(1L, 2L, 3L), seen);
    }
}
