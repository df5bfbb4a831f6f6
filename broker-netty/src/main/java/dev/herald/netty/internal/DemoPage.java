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
import java.nio.charset.StandardCharsets;

/**
 * The demo page served at {@code GET /} when {@code HeraldServerConfig.demoPage()} is on: the classpath resource
 * {@code demo.html} beside this class, read once. Stateless and thread-safe.
 */
public final class DemoPage {
    private static final String RESOURCE = "demo.html";
    private static final byte[] HTML = load();
    private static final String DEFAULT_PATH = "/ws";
    private static final String PATH_META = "<meta name=\"herald-websocket-path\" content=\"";
    private static volatile PageFor lastPage;

    private DemoPage() {
    }

    /**
     * A response carrying the page.
     *
     * @param alloc where to allocate the body
     * @return a 200 response with the page as {@code text/html}
     */
    public static FullHttpResponse response(ByteBufAllocator alloc) {
        return response(alloc, DEFAULT_PATH);
    }

    /**
     * A response carrying the page for a server whose WebSocket path is {@code websocketPath}.
     *
     * @param alloc         where to allocate the body
     * @param websocketPath the server's WebSocket path, written into the page for its script to connect to
     * @return a 200 response with the page as {@code text/html}
     */
    public static FullHttpResponse response(ByteBufAllocator alloc, String websocketPath) {
        byte[] html = forPath(websocketPath);
        ByteBuf body = alloc.buffer(html.length).writeBytes(html);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "text/html; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, html.length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE)
                .set("X-Content-Type-Options", "nosniff")
                .set(HttpHeaderNames.X_FRAME_OPTIONS, "DENY");
        return response;
    }

    /** The page for one path, made once: a server has one path, so one entry is enough. */
    private static byte[] forPath(String websocketPath) {
        if (websocketPath.equals(DEFAULT_PATH)) {
            return HTML;
        }
        PageFor last = lastPage;
        if (last != null && last.path().equals(websocketPath)) {
            return last.html();
        }
        String escaped = websocketPath.replace("&", "&amp;").replace("\"", "&quot;").replace("<", "&lt;")
                .replace(">", "&gt;");
        byte[] html = new String(HTML, StandardCharsets.UTF_8)
                .replace(PATH_META + DEFAULT_PATH + "\"", PATH_META + escaped + "\"").getBytes(StandardCharsets.UTF_8);
        lastPage = new PageFor(websocketPath, html);
        return html;
    }

    private record PageFor(String path, byte[] html) {
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
