package dev.herald.netty.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The demo page served at {@code GET /} when {@code HeraldServerConfig.demoPage()} is on: the classpath resource
 * {@code demo.html} beside this class, read once. Stateless and thread-safe.
 */
public final class DemoPage {
    private static final String RESOURCE = "demo.html";
    private static final byte[] HTML = load();

    private DemoPage() {
    }

    /**
     * A response carrying the page.
     *
     * @param alloc where to allocate the body
     * @return a 200 response with the page as {@code text/html}
     */
    public static FullHttpResponse response(ByteBufAllocator alloc) {
        ByteBuf body = alloc.buffer(HTML.length).writeBytes(HTML);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "text/html; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, HTML.length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE)
                .set("X-Content-Type-Options", "nosniff")
                .set(HttpHeaderNames.X_FRAME_OPTIONS, "DENY");
        return response;
    }

    private static byte[] load() {
        try (InputStream in = DemoPage.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath beside "
                        + DemoPage.class.getName());
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }
}
