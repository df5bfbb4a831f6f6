package dev.herald.netty.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request deadline: an HTTP request must arrive in full, head and body, within the request timeout from its
 * first byte; otherwise it gets 408 {@code request_timeout} and the connection is closed. This is what stops a
 * slow-loris client, which sends a byte every few seconds and so is never idle.
 *
 * <p>Two handlers share one state: this one, before the HTTP codec, sees the raw bytes and starts the clock on the
 * first read after the previous request ended (so a request whose first bytes came in the same read as the end of
 * the one before starts at its next read: one read late at most); {@link #end()}, after the codec, stops it on the
 * request's last content. One timer per connection at most, scheduled when a request begins and re-armed for the
 * time left rather than cancelled when the request ends, as {@code IdleStateHandler} does. While the connection is
 * not being read (the router holds pipelined requests), the clock starts again: the server, not the client, is the
 * one waiting. If the router is still answering an earlier request, the connection is closed without the 408, which
 * could not be sent in order. The router removes both handlers when the connection upgrades to WebSocket.
 *
 * <p>Not thread-safe: one instance per connection, confined to its event loop.
 */
public final class RequestDeadline extends ChannelInboundHandlerAdapter {
    /** Name of the handler before the HTTP codec. */
    public static final String NAME = "http-deadline";
    /** Name of the handler after the HTTP codec. */
    public static final String END_NAME = "http-deadline-end";

    private static final Logger LOG = LoggerFactory.getLogger(RequestDeadline.class);

    private final long timeoutNanos;
    private final Duration timeout;
    private final ServerMetrics metrics;
    private final End end = new End();
    private ChannelHandlerContext ctx;
    private ChannelHandlerContext endCtx;
    private boolean receiving;
    private long startedAt;
    private ScheduledFuture<?> timer;

    /**
     * Creates the deadline of one connection.
     *
     * @param timeout the longest a request may take to arrive
     * @param metrics where the 408 responses are counted
     */
    public RequestDeadline(Duration timeout, ServerMetrics metrics) {
        this.timeout = timeout;
        this.timeoutNanos = timeout.toNanos();
        this.metrics = metrics;
    }

    /**
     * The handler that goes right after the HTTP codec, under {@link #END_NAME}.
     *
     * @return the end-of-request handler sharing this deadline
     */
    public ChannelInboundHandlerAdapter end() {
        return end;
    }

    /**
     * Removes both handlers, if there; their timer with them.
     *
     * @param pipeline the connection's pipeline
     */
    public static void removeFrom(ChannelPipeline pipeline) {
        if (pipeline.get(NAME) != null) {
            pipeline.remove(NAME);
        }
        if (pipeline.get(END_NAME) != null) {
            pipeline.remove(END_NAME);
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!receiving && msg instanceof ByteBuf buf && buf.isReadable()) {
            receiving = true;
            startedAt = ctx.executor().ticker().nanoTime();
            if (timer == null) {
                schedule(timeoutNanos);
            }
        }
        ctx.fireChannelRead(msg);
    }

    /** Whether a request has begun and not ended; for tests. */
    boolean receiving() {
        return receiving;
    }

    private void schedule(long delayNanos) {
        timer = ctx.executor().schedule(this::check, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        receiving = false;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void check() {
        timer = null;
        if (!receiving || !ctx.channel().isActive()) {
            return;
        }
        long now = ctx.executor().ticker().nanoTime();
        if (!ctx.channel().config().isAutoRead()) {
            startedAt = now; // the server stopped reading: the client cannot be late meanwhile
        }
        long left = startedAt + timeoutNanos - now;
        if (left > 0) {
            schedule(left);
            return;
        }
        expire();
    }

    private void expire() {
        receiving = false;
        metrics.limits().requestTimeout();
        HttpRequestRouter router = ctx.pipeline().get(HttpRequestRouter.class);
        if (endCtx == null || router != null && router.answering()) {
            LOG.debug("{}: request not complete within {} while another is answered; closing", ctx.channel(),
                    timeout);
            ctx.close();
            return;
        }
        LOG.debug("{}: request not complete within {}; 408 and closing", ctx.channel(), timeout);
        FullHttpResponse response = HttpResponses.error(ctx.alloc(), HttpResponseStatus.REQUEST_TIMEOUT,
                "request_timeout", "the request did not arrive in full within " + describe(timeout));
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        metrics.httpResponse(HttpResponseStatus.REQUEST_TIMEOUT.code());
        metrics.errorSent();
        // From after the codec, so that the response is encoded.
        endCtx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    private static String describe(Duration d) {
        long millis = d.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
    }

    /** After the codec: a request's last content ends it. */
    private final class End extends ChannelInboundHandlerAdapter {
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            endCtx = ctx;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof LastHttpContent) {
                receiving = false;
            }
            ctx.fireChannelRead(msg);
        }
    }
}
