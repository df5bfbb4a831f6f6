package dev.herald.netty.internal;

import dev.herald.core.HeraldException;
import dev.herald.core.History;
import dev.herald.core.HistoryQuery;
import dev.herald.core.Message;
import dev.herald.core.Topics;
import dev.herald.netty.RawJson;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * {@code GET /topics/{topic}/history?since=&limit=&epoch=}: the topic's retained messages with an offset greater than
 * {@code since} (default 0), oldest first, at most {@code limit} of them (default and maximum: the configured
 * history limit; larger values are capped). Each element is the message exactly as WebSocket subscribers receive
 * it, taken from the payload's shared frame cache. With {@code epoch}, {@code since} counts in that epoch only: if
 * the topic has started over under another one, the page starts at its oldest retained message instead, so a poller
 * misses nothing of the new epoch. The topic's position at the read travels in headers ({@link #EPOCH},
 * {@link #LAST_OFFSET}, {@link #OLDEST_OFFSET}); the body stays a plain array.
 *
 * <p>Stateless; one instance per connection, used on its event loop.
 */
final class HistoryRoute {
    /** The topic's current epoch; empty if the topic does not exist. */
    static final String EPOCH = "Herald-Epoch";
    /** The topic's latest offset in that epoch; 0 if it has none. */
    static final String LAST_OFFSET = "Herald-Last-Offset";
    /** The oldest offset still retained; the latest plus one when nothing is. */
    static final String OLDEST_OFFSET = "Herald-Oldest-Offset";
    /** The headers a browser page on another allowed origin may read (CORS). */
    static final String EXPOSED_HEADERS = EPOCH + ", " + LAST_OFFSET + ", " + OLDEST_OFFSET;
    /** Longer than any epoch an engine makes; a longer value is refused rather than compared. */
    private static final int MAX_EPOCH_LENGTH = 128;

    private final ServerContext server;

    HistoryRoute(ServerContext server) {
        this.server = server;
    }

    void handle(ChannelHandlerContext ctx, FullHttpRequest request, String topic, Caller caller,
                HttpRequestRouter router) {
        if (!Topics.isValidName(topic)) {
            String problem;
            try {
                Topics.requireName(topic);
                problem = "invalid topic";
            } catch (HeraldException e) {
                problem = e.getMessage();
            }
            router.sendError(ctx, request, HttpResponseStatus.BAD_REQUEST, "invalid_topic", problem);
            return;
        }
        if (!caller.identity().grants().mayRead(topic)) {
            HttpAccess.refuse(ctx, request, router, caller, "read the history of '" + topic + "'", server.metrics());
            return;
        }
        if (!server.broker().isOpen()) {
            router.sendError(ctx, request, HttpResponseStatus.SERVICE_UNAVAILABLE, "unavailable", "broker is closed");
            return;
        }
        QueryStringDecoder query = new QueryStringDecoder(request.uri());
        int maxLimit = server.config().historyLimit();
        long limit = parameter(query, "limit", maxLimit);
        long since = parameter(query, "since", 0);
        if (limit < 0) {
            router.sendError(ctx, request, HttpResponseStatus.BAD_REQUEST, "invalid_parameter",
                    "'limit' must be a whole number from 0, was '" + query.parameters().get("limit").get(0) + "'");
            return;
        }
        if (since < 0) {
            router.sendError(ctx, request, HttpResponseStatus.BAD_REQUEST, "invalid_parameter",
                    "'since' must be an offset from 0, was '" + query.parameters().get("since").get(0) + "'");
            return;
        }
        List<String> epochs = query.parameters().get("epoch");
        String epoch = epochs == null || epochs.isEmpty() ? null : epochs.get(0);
        if (epoch != null && epoch.length() > MAX_EPOCH_LENGTH) {
            router.sendError(ctx, request, HttpResponseStatus.BAD_REQUEST, "invalid_parameter",
                    "'epoch' is longer than " + MAX_EPOCH_LENGTH + " characters");
            return;
        }
        HttpVersion version = request.protocolVersion();
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        ByteBufAllocator alloc = ctx.alloc();
        int pageSize = (int) Math.min(limit, maxLimit);
        server.broker().history(topic, HistoryQuery.after(since, pageSize))
                .thenCompose(history -> since == 0 || epoch == null || epoch.equals(history.position().epoch())
                        ? CompletableFuture.completedFuture(history)
                        // Another epoch: the client's offset means nothing in this one, so read from its oldest.
                        : server.broker().history(topic, HistoryQuery.after(0, pageSize)))
                .whenComplete((history, failure) -> router.send(ctx, version, keepAlive,
                        response(alloc, history, failure)));
    }

    /** The parameter's value; the default if absent; -1 if present but not a whole number from 0. */
    private static long parameter(QueryStringDecoder query, String name, long defaultValue) {
        List<String> values = query.parameters().get(name);
        if (values == null || values.isEmpty()) {
            return defaultValue;
        }
        String v = values.get(0);
        if (v.isEmpty() || v.length() > 18) {
            return -1;
        }
        long n = 0;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            n = n * 10 + (c - '0');
        }
        return n;
    }

    private static FullHttpResponse response(ByteBufAllocator alloc, History<RawJson> history, Throwable failure) {
        if (failure != null) {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (cause instanceof HeraldException e) {
                return switch (e.reason()) {
                    case BROKER_CLOSED -> HttpResponses.error(alloc, HttpResponseStatus.SERVICE_UNAVAILABLE,
                            "unavailable", e.getMessage());
                    case ENGINE_UNAVAILABLE -> HttpResponses.error(alloc, HttpResponseStatus.SERVICE_UNAVAILABLE,
                            "engine_unavailable", e.getMessage());
                    case INVALID_TOPIC -> HttpResponses.error(alloc, HttpResponseStatus.BAD_REQUEST,
                            "invalid_topic", e.getMessage());
                    default -> HttpResponses.error(alloc, HttpResponseStatus.BAD_REQUEST, "invalid_request",
                            e.getMessage());
                };
            }
            return HttpResponses.error(alloc, HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error",
                    "the broker failed to read history");
        }
        FullHttpResponse response = HttpResponses.json(HttpResponseStatus.OK, encode(alloc, history.messages()));
        response.headers()
                .set(EPOCH, history.position().epoch())
                .set(LAST_OFFSET, history.position().offset())
                .set(OLDEST_OFFSET, history.oldestOffset());
        return response;
    }

    /** A JSON array of the messages' shared frames, written once into one buffer. */
    static ByteBuf encode(ByteBufAllocator alloc, List<Message<RawJson>> messages) {
        byte[][] frames = new byte[messages.size()][];
        int size = 2 + Math.max(0, messages.size() - 1);
        for (int i = 0; i < frames.length; i++) {
            frames[i] = RawJsonAccess.frameOf(messages.get(i));
            size += frames[i].length;
        }
        ByteBuf body = alloc.buffer(size);
        body.writeByte('[');
        for (int i = 0; i < frames.length; i++) {
            if (i > 0) {
                body.writeByte(',');
            }
            body.writeBytes(frames[i]);
        }
        body.writeByte(']');
        return body;
    }
}
