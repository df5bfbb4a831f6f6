package dev.herald.netty.internal;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;

/**
 * {@link HttpObjectAggregator} whose 413 responses carry the server's JSON error body
 * ({@code {"code":"payload_too_large",...}}) instead of an empty one. The connection handling is Netty's: when
 * the body was announced too large by {@code Content-Length} on a keep-alive request, the body is skipped and the
 * connection stays usable; when the client already sent part of an oversized body, the connection is closed.
 */
public final class JsonHttpObjectAggregator extends HttpObjectAggregator {
    private final ServerContext server;

    /**
     * Creates the aggregator.
     *
     * @param maxContentLength the largest body accepted, in bytes
     * @param server           the server's shared state: counters and origin policy
     */
    public JsonHttpObjectAggregator(int maxContentLength, ServerContext server) {
        super(maxContentLength);
        this.server = server;
    }

    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
        Object response = super.newContinueResponse(start, maxContentLength, pipeline);
        if (response instanceof FullHttpResponse full
                && full.status().code() == HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE.code()) {
            ReferenceCountUtil.release(full);
            return tooLarge(pipeline, maxContentLength, start);
        }
        return response;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) throws Exception {
        if (!(oversized instanceof HttpRequest)) {
            super.handleOversizedMessage(ctx, oversized);
            return;
        }
        // Once part of the body has arrived, the rest cannot be told apart from the next request: close.
        boolean close = oversized instanceof FullHttpMessage
                || !HttpUtil.is100ContinueExpected(oversized) && !HttpUtil.isKeepAlive(oversized);
        FullHttpResponse response = tooLarge(ctx.pipeline(), maxContentLength(), oversized);
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        ctx.writeAndFlush(response).addListener(close ? ChannelFutureListener.CLOSE
                : ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    private FullHttpResponse tooLarge(ChannelPipeline pipeline, int max, HttpMessage request) {
        ByteBufAllocator alloc = pipeline.channel().alloc();
        server.metrics().httpResponse(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE.code());
        server.metrics().errorSent();
        FullHttpResponse response = HttpResponses.error(alloc, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                "payload_too_large", "the request body is larger than " + max + " bytes");
        // Let a page on an allowed origin read the 413, as the router does for its own responses.
        String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        if (origin != null && server.originPolicy().allows(origin, request.headers().get(HttpHeaderNames.HOST),
                TlsSupport.isTls(pipeline))) {
            response.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin)
                    .add(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
        }
        return response;
    }
}
