package dev.herald.netty.internal;

import dev.herald.core.PublishResult;
import dev.herald.core.Topics;
import dev.herald.netty.RawJson;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.io.ByteArrayOutputStream;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Locale;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectWriteContext;

/**
 * {@code POST /publish} with body {@code {"topic":"t","data":<any JSON>}}: answers 200 with
 * {@code {"id","topic","offset","epoch","timestamp"}} of the created message.
 *
 * <p>The body is read once, with jackson-core's streaming parser; that single pass validates all of it, and
 * {@code data} is cut out of the body by the byte offsets of its first and last tokens, so the payload keeps the
 * publisher's exact bytes and is never parsed or serialized again. Unknown fields are ignored.
 *
 * <p>Stateless; one instance per connection, used on its event loop.
 */
final class PublishRoute {
    private final ServerContext server;

    PublishRoute(ServerContext server) {
        this.server = server;
    }

    void handle(ChannelHandlerContext ctx, FullHttpRequest request, Caller caller, HttpRequestRouter router) {
        String unsupported = unsupportedContentType(request);
        if (unsupported != null) {
            router.sendError(ctx, request, HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                    unsupported);
            return;
        }
        byte[] body = ByteBufUtil.getBytes(request.content());
        Parsed parsed = parse(body);
        if (parsed.errorCode != null) {
            router.sendError(ctx, request, HttpResponseStatus.BAD_REQUEST, parsed.errorCode, parsed.errorMessage);
            return;
        }
        // An invalid name is the broker's to refuse (400 invalid_topic), whatever the grants.
        if (Topics.isValidName(parsed.topic) && !caller.identity().grants().mayPublish(parsed.topic)) {
            HttpAccess.refuse(ctx, request, router, caller, "publish to '" + parsed.topic + "'", server.metrics());
            return;
        }
        RawJson data = RawJsonAccess.trusted(Arrays.copyOfRange(body, parsed.dataStart, parsed.dataEnd));
        HttpVersion version = request.protocolVersion();
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        ByteBufAllocator alloc = ctx.alloc();
        server.broker().publish(parsed.topic, data).whenComplete((result, failure) ->
                router.send(ctx, version, keepAlive, response(alloc, result, failure)));
    }

    /** Returns why the content type is refused, or {@code null} if the body is declared as UTF-8 JSON. */
    static String unsupportedContentType(FullHttpRequest request) {
        CharSequence mime = HttpUtil.getMimeType(request);
        if (mime == null) {
            return "Content-Type must be application/json";
        }
        if (!"application/json".contentEquals(mime.toString().trim().toLowerCase(Locale.ROOT))) {
            return "Content-Type must be application/json, was '" + mime + "'";
        }
        CharSequence charset = HttpUtil.getCharsetAsSequence(request);
        if (charset != null && !"utf-8".equalsIgnoreCase(unquote(charset.toString().trim()))) {
            return "JSON must be UTF-8, charset was '" + charset + "'";
        }
        return null;
    }

    private static String unquote(String s) {
        return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1) : s;
    }

    private static FullHttpResponse response(ByteBufAllocator alloc, PublishResult result, Throwable failure) {
        if (failure != null || result == null) {
            return HttpResponses.error(alloc, HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error",
                    "the broker failed to publish");
        }
        if (result instanceof PublishResult.Accepted accepted) {
            return HttpResponses.json(alloc, HttpResponseStatus.OK, acceptedBody(accepted));
        }
        PublishResult.Rejected rejected = (PublishResult.Rejected) result;
        return switch (rejected.reason()) {
            case BACKPRESSURE_TIMEOUT -> HttpResponses.error(alloc, HttpResponseStatus.TOO_MANY_REQUESTS,
                    "backpressure", rejected.message());
            case BROKER_CLOSED -> HttpResponses.error(alloc, HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "unavailable", rejected.message());
            case TOO_MANY_TOPICS -> HttpResponses.error(alloc, HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "too_many_topics", rejected.message());
            case ENGINE_UNAVAILABLE -> HttpResponses.error(alloc, HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "engine_unavailable", rejected.message());
            case INVALID_TOPIC -> HttpResponses.error(alloc, HttpResponseStatus.BAD_REQUEST,
                    "invalid_topic", rejected.message());
            case INVALID_PAYLOAD, INVALID_POSITION -> HttpResponses.error(alloc, HttpResponseStatus.BAD_REQUEST,
                    "invalid_request", rejected.message());
        };
    }

    static byte[] acceptedBody(PublishResult.Accepted accepted) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        try (JsonGenerator g = JsonSupport.factory().createGenerator(ObjectWriteContext.empty(), out)) {
            g.writeStartObject();
            g.writeStringProperty("id", accepted.id());
            g.writeStringProperty("topic", accepted.topic());
            g.writeNumberProperty("offset", accepted.offset());
            g.writeStringProperty("epoch", accepted.epoch());
            g.writeStringProperty("timestamp", DateTimeFormatter.ISO_INSTANT.format(accepted.timestamp()));
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    /**
     * Parses a publish body in one pass.
     *
     * @param body the whole body
     * @return the topic and the byte range of {@code data}, or an error code and message
     */
    static Parsed parse(byte[] body) {
        String topic = null;
        boolean topicSeen = false;
        boolean topicIsString = false;
        int dataStart = -1;
        int dataEnd = -1;
        try (JsonParser p = JsonSupport.parser(body, 0, body.length)) {
            JsonToken token = p.nextToken();
            if (token == null) {
                return Parsed.error("invalid_json", "the request body is empty; expected {\"topic\":...,\"data\":...}");
            }
            if (token != JsonToken.START_OBJECT) {
                p.skipChildren();
                return Parsed.error("invalid_json", atEnd(p) ? "the request body must be a JSON object"
                        : "unexpected content after the JSON value");
            }
            while ((token = p.nextToken()) == JsonToken.PROPERTY_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "topic" -> {
                        if (topicSeen) {
                            return Parsed.error("invalid_json", "duplicate field 'topic'");
                        }
                        topicSeen = true;
                        topicIsString = value == JsonToken.VALUE_STRING;
                        if (topicIsString) {
                            topic = p.getString();
                        } else {
                            p.skipChildren();
                        }
                    }
                    case "data" -> {
                        if (dataStart >= 0) {
                            return Parsed.error("invalid_json", "duplicate field 'data'");
                        }
                        dataStart = (int) p.currentTokenLocation().getByteOffset();
                        p.skipChildren();
                        // A string token is read lazily; finish it so the location is past its closing quote.
                        p.finishToken();
                        dataEnd = (int) p.currentLocation().getByteOffset();
                    }
                    default -> p.skipChildren();
                }
            }
            if (!atEnd(p)) {
                return Parsed.error("invalid_json", "unexpected content after the JSON object");
            }
        } catch (JacksonException e) {
            return Parsed.error("invalid_json", "the request body is not valid JSON: " + e.getOriginalMessage());
        }
        if (!topicSeen) {
            return Parsed.error("missing_field", "field 'topic' is required");
        }
        if (dataStart < 0) {
            return Parsed.error("missing_field", "field 'data' is required");
        }
        if (!topicIsString) {
            return Parsed.error("invalid_topic", "field 'topic' must be a string");
        }
        if (!Topics.isValidName(topic)) {
            String problem;
            try {
                Topics.requireName(topic);
                problem = "invalid topic";
            } catch (RuntimeException e) {
                problem = e.getMessage();
            }
            return Parsed.error("invalid_topic", problem);
        }
        return new Parsed(topic, dataStart, dataEnd, null, null);
    }

    /** Whether nothing but white space follows the value just read. */
    private static boolean atEnd(JsonParser p) {
        return p.nextToken() == null;
    }

    record Parsed(String topic, int dataStart, int dataEnd, String errorCode, String errorMessage) {
        static Parsed error(String code, String message) {
            return new Parsed(null, -1, -1, code, message);
        }
    }
}
