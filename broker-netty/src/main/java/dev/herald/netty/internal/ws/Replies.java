package dev.herald.netty.internal.ws;

import dev.herald.core.PublishResult;
import dev.herald.core.StreamPosition;
import dev.herald.netty.auth.Identity;
import dev.herald.netty.internal.JsonSupport;
import java.io.ByteArrayOutputStream;
import java.time.format.DateTimeFormatter;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;

/**
 * Encodes the control frames the server sends: every one is a JSON object with a {@code "type"}, and echoes the
 * client's request {@code "id"} when the command carried one. Delivered messages are not control frames; they
 * are encoded once per message by {@code RawJson} and carry no {@code "type"}.
 *
 * <p>Stateless and thread-safe.
 */
final class Replies {
    private Replies() {
    }

    static byte[] subscribed(ClientCommand.RequestId id, String topic, StreamPosition position, Boolean recovered) {
        return write(g -> {
            start(g, "subscribed", id);
            g.writeStringProperty("topic", topic);
            g.writeNumberProperty("offset", position.offset());
            g.writeStringProperty("epoch", position.epoch());
            if (recovered != null) {
                g.writeBooleanProperty("recovered", recovered);
            }
        });
    }

    static byte[] unsubscribed(ClientCommand.RequestId id, String topic) {
        return write(g -> {
            start(g, "unsubscribed", id);
            g.writeStringProperty("topic", topic);
        });
    }

    /** A subscription the server ended on its own, with the reason (a stable code such as {@code forbidden}). */
    static byte[] unsubscribed(String topic, String reason) {
        return write(g -> {
            start(g, "unsubscribed", null);
            g.writeStringProperty("topic", topic);
            g.writeStringProperty("reason", reason);
        });
    }

    static byte[] authenticated(ClientCommand.RequestId id, Identity identity) {
        return write(g -> {
            start(g, "authenticated", id);
            g.writeStringProperty("subject", identity.subject());
            if (identity.expiresAt() != null) {
                g.writeStringProperty("expiresAt", DateTimeFormatter.ISO_INSTANT.format(identity.expiresAt()));
            }
        });
    }

    static byte[] published(ClientCommand.RequestId id, PublishResult.Accepted accepted) {
        return write(g -> {
            start(g, "published", id);
            g.writeStringProperty("topic", accepted.topic());
            g.writeNumberProperty("offset", accepted.offset());
            g.writeStringProperty("epoch", accepted.epoch());
            g.writeStringProperty("timestamp", DateTimeFormatter.ISO_INSTANT.format(accepted.timestamp()));
            g.writeStringProperty("messageId", accepted.id());
        });
    }

    static byte[] pong(ClientCommand.RequestId id) {
        return write(g -> start(g, "pong", id));
    }

    static byte[] gap(String topic, long fromOffset, long toOffset) {
        return write(g -> {
            start(g, "gap", null);
            g.writeStringProperty("topic", topic);
            g.writeNumberProperty("fromOffset", fromOffset);
            g.writeNumberProperty("toOffset", toOffset);
        });
    }

    static byte[] error(CommandError error) {
        return write(g -> {
            start(g, "error", error.id());
            g.writeStringProperty("code", error.code());
            g.writeStringProperty("message", error.message());
        });
    }

    /** An {@code error} frame with code {@code rate_limited} and how long to wait: {@code retryAfterMs}. */
    static byte[] rateLimited(ClientCommand.RequestId id, String message, long retryAfterMillis) {
        return write(g -> {
            start(g, "error", id);
            g.writeStringProperty("code", CommandError.RATE_LIMITED);
            g.writeStringProperty("message", message);
            g.writeNumberProperty("retryAfterMs", retryAfterMillis);
        });
    }

    private static void start(JsonGenerator g, String type, ClientCommand.RequestId id) {
        g.writeStartObject();
        g.writeStringProperty("type", type);
        if (id != null) {
            g.writeName("id");
            if (id.number()) {
                g.writeNumber(id.text());
            } else {
                g.writeString(id.text());
            }
        }
    }

    private interface Body {
        void writeTo(JsonGenerator generator);
    }

    private static byte[] write(Body body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        try (JsonGenerator generator = JsonSupport.factory().createGenerator(ObjectWriteContext.empty(), out)) {
            body.writeTo(generator);
            generator.writeEndObject();
        }
        return out.toByteArray();
    }
}
