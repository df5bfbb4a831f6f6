package dev.herald.netty.internal;

import dev.herald.netty.RateLimit;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;

/**
 * The router's abuse limits: a connection's request and publish rates (429 {@code rate_limited} with
 * {@code Retry-After}), and the answers to requests the codec refused to read (414 for a request line longer than
 * {@code maxRequestLineBytes}, 431 for headers longer than {@code maxHeaderBytes}, 400 otherwise; the connection
 * is closed after each, since the rest of its input cannot be read).
 *
 * <p>Stateless; called on the connection's event loop.
 */
final class HttpLimits {
    private HttpLimits() {
    }

    /**
     * Answers a request the HTTP codec could not read, and has the connection closed after it.
     *
     * @param ctx     the router's context
     * @param request the request, with a failed decoder result
     * @param router  the router
     * @param server  the server's shared state
     */
    static void sendDecoderFailure(ChannelHandlerContext ctx, FullHttpRequest request, HttpRequestRouter router,
                                   ServerContext server) {
        Throwable cause = request.decoderResult().cause();
        FullHttpResponse response;
        if (cause instanceof TooLongHttpLineException) {
            response = HttpResponses.error(ctx.alloc(), HttpResponseStatus.REQUEST_URI_TOO_LONG, "uri_too_long",
                    "the request line is longer than " + server.config().maxRequestLineBytes() + " bytes");
        } else if (cause instanceof TooLongHttpHeaderException) {
            response = HttpResponses.error(ctx.alloc(), HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                    "headers_too_large", "the request headers are longer than " + server.config().maxHeaderBytes()
                            + " bytes in all");
        } else {
            response = HttpResponses.error(ctx.alloc(), HttpResponseStatus.BAD_REQUEST, "bad_request",
                    "the request could not be read: " + cause.getMessage());
        }
        router.send(ctx, request.protocolVersion(), false, response);
    }

    /**
     * Takes a request permit, or answers 429.
     *
     * @return {@code true} if the request was refused and answered; the caller stops there
     */
    static boolean refusedRequest(ChannelHandlerContext ctx, FullHttpRequest request, HttpRequestRouter router,
                                  ServerContext server, ConnectionLimits limits) {
        long wait = limits.acquireRequest();
        if (wait == 0) {
            return false;
        }
        server.metrics().limits().httpRequestRateLimited();
        refuse(ctx, request, router, server, limits, wait, "requests", limits.requestLimit());
        return true;
    }

    /**
     * Takes a publish permit, or answers 429.
     *
     * @return {@code true} if the publish was refused and answered; the caller stops there
     */
    static boolean refusedPublish(ChannelHandlerContext ctx, FullHttpRequest request, HttpRequestRouter router,
                                  ServerContext server, ConnectionLimits limits) {
        long wait = limits.acquirePublish();
        if (wait == 0) {
            return false;
        }
        server.metrics().limits().httpPublishRateLimited();
        refuse(ctx, request, router, server, limits, wait, "publishes", limits.publishLimit());
        return true;
    }

    private static void refuse(ChannelHandlerContext ctx, FullHttpRequest request, HttpRequestRouter router,
                               ServerContext server, ConnectionLimits limits, long waitNanos, String what,
                               RateLimit limit) {
        boolean close = limits.refuse();
        if (close) {
            server.metrics().limits().rateLimitClose();
        }
        long seconds = ConnectionLimits.retryAfterSeconds(waitNanos);
        FullHttpResponse response = HttpResponses.error(ctx.alloc(), HttpResponseStatus.TOO_MANY_REQUESTS,
                "rate_limited", "too many " + what + " on this connection (at most " + limit + "); retry in "
                        + seconds + " s" + (close ? "; closing the connection, which went on past its limits" : ""));
        response.headers().set(HttpHeaderNames.RETRY_AFTER, Long.toString(seconds));
        // Refused before the origin check: a page on an allowed origin may still read why.
        String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        if (origin != null && server.originPolicy().allows(origin, request.headers().get(HttpHeaderNames.HOST))) {
            response.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin)
                    .set(HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, HttpHeaderNames.RETRY_AFTER)
                    .add(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
        }
        router.send(ctx, request.protocolVersion(), !close && HttpUtil.isKeepAlive(request), response);
    }
}
