package dev.herald.netty.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.ByteArrayOutputStream;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;

/** Builds the server's JSON HTTP responses. Stateless and thread-safe. */
public final class HttpResponses {
    /** {@code application/json; charset=utf-8}. */
    public static final String JSON_UTF8 = "application/json; charset=utf-8";

    private HttpResponses() {
    }

    /**
     * A response with a JSON body.
     *
     * @param status the status
     * @param body   the body, owned by the response from now on
     * @return the response, with content type and length set
     */
    public static FullHttpResponse json(HttpResponseStatus status, ByteBuf body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, JSON_UTF8)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        return response;
    }

    /**
     * A response with a JSON body.
     *
     * @param alloc  where to allocate the body
     * @param status the status
     * @param body   the body's UTF-8 bytes
     * @return the response
     */
    public static FullHttpResponse json(ByteBufAllocator alloc, HttpResponseStatus status, byte[] body) {
        ByteBuf buf = alloc.buffer(body.length);
        buf.writeBytes(body);
        return json(status, buf);
    }

    /**
     * An error response: {@code {"code":"...","message":"..."}}.
     *
     * @param alloc   where to allocate the body
     * @param status  the status
     * @param code    the stable machine-readable code
     * @param message the human description
     * @return the response
     */
    public static FullHttpResponse error(ByteBufAllocator alloc, HttpResponseStatus status, String code,
                                         String message) {
        return json(alloc, status, errorBody(code, message));
    }

    /**
     * The JSON of an error: {@code {"code":"...","message":"..."}}.
     *
     * @param code    the stable machine-readable code
     * @param message the human description
     * @return UTF-8 JSON
     */
    public static byte[] errorBody(String code, String message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + message.length());
        try (JsonGenerator g = JsonSupport.factory().createGenerator(ObjectWriteContext.empty(), out)) {
            g.writeStartObject();
            g.writeStringProperty("code", code);
            g.writeStringProperty("message", message);
            g.writeEndObject();
        }
        return out.toByteArray();
    }
}
