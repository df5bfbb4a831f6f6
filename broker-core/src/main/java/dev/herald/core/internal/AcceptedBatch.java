package dev.herald.core.internal;

import dev.herald.core.Message;
import dev.herald.core.PublishResult;
import java.util.AbstractList;
import java.util.RandomAccess;

/**
 * The outcome of a batch the in-memory engine accepted whole: one {@link PublishResult.Accepted} per message,
 * made when asked for, so that a publisher that does not look at them pays nothing per message. Holds the
 * messages, and so their payloads, for as long as the caller keeps the list.
 *
 * <p>Immutable.
 *
 * @param <T> payload type
 */
final class AcceptedBatch<T> extends AbstractList<PublishResult> implements RandomAccess {
    private final Message<T>[] messages;
    private final String epoch;

    AcceptedBatch(Message<T>[] messages, String epoch) {
        this.messages = messages;
        this.epoch = epoch;
    }

    @Override
    public PublishResult get(int index) {
        Message<T> message = messages[index];
        return new PublishResult.Accepted(message.id(), message.topic(), message.offset(), epoch,
                message.timestamp());
    }

    @Override
    public int size() {
        return messages.length;
    }
}
