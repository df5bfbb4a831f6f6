package dev.herald.netty.internal;

import dev.herald.core.BrokerStats;
import dev.herald.core.spi.EngineStatus;
import dev.herald.netty.internal.ws.WebSocketSupport;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;

/**
 * The HTTP front of every connection: enforces the connection limit and the origin check, serves the HTTP routes,
 * and passes requests for the WebSocket path on to the WebSocket handlers, which it adds to the end of the pipeline
 * when the first such request arrives.
 *
 * <p>Routes: {@code GET /health}, {@code GET /metrics}, {@code POST /publish}, {@code GET /topics/{topic}/history};
 * {@code GET /} serves the demo page when {@code HeraldServerConfig.demoPage()} is on and answers 404 otherwise.
 * Every error is a status with a JSON body {@code {"code","message"}}, and a keep-alive connection stays usable
 * after it unless the request itself could not be read. Requests from an allowed browser origin get CORS headers,
 * and {@code OPTIONS} on a route answers the CORS preflight.
 *
 * <p>Concurrency: one instance per connection; all state is confined to the connection's event loop. Responses
 * leave in request order: while a request is in flight (a publish or history read the broker completes later),
 * further pipelined requests wait in a small bounded queue and reading pauses.
 */
public final class HttpRequestRouter extends ChannelInboundHandlerAdapter {
    /**
     * Name of the handler, before the router, that closes HTTP connections idle for
     * {@code HeraldServerConfig.idleTimeout()}; removed when the connection upgrades to WebSocket.
     */
    public static final String HTTP_IDLE_HANDLER = "http-idle";
    private static final Logger LOG = LoggerFactory.getLogger(HttpRequestRouter.class);
    private static final String TOPICS_PREFIX = "/topics/";
    private static final String HISTORY_SUFFIX = "/history";
    private static final String PREFLIGHT_ALLOWED_HEADERS = HttpHeaderNames.CONTENT_TYPE + ", "
            + HttpHeaderNames.AUTHORIZATION;
    private static final byte[] HEALTH_OK = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] HEALTH_OK_ENGINE =
            "{\"status\":\"ok\",\"engine\":\"available\"}".getBytes(StandardCharsets.UTF_8);

    private final ServerContext server;
    private final PublishRoute publish;
    private final HistoryRoute history;
    private final ArrayDeque<FullHttpRequest> pipelined = new ArrayDeque<>();
    /** Pipelined requests held while one is in flight ({@code maxPipelinedRequests}); one more closes. */
    private final int maxPipelined;
    private ConnectionLimits limits;

    private boolean counted;
    private boolean websocket;
    private boolean inFlight;
    /** {@code inFlight || !pipelined.isEmpty()}, readable by the thread that stops the server. */
    private volatile boolean busy;
    /** The connection's request tracker, if its pipeline has one; set when this handler is added. */
    private volatile RequestProgress progress;
    private boolean closeAfterResponse;
    /** The allowed Origin of the request in flight, echoed in its response; {@code null} if none. */
    private String corsOrigin;
    private boolean drainScheduled;


    /**
     * Creates the router of one connection.
     *
     * @param server the server's shared state
     */
    public HttpRequestRouter(ServerContext server) {
        this.server = server;
        this.publish = new PublishRoute(server);
        this.history = new HistoryRoute(server);
        this.maxPipelined = server.config().maxPipelinedRequests();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        counted = server.metrics().tryOpenConnection(server.config().maxConnections());
        super.channelActive(ctx);
        // Accepted while the server stops: kept, so that its request (a load balancer's health check, say) is
        // answered with 503; the server closes it with the others once the stop is done.
    }

    /**
     * Whether the connection has work the server's graceful stop waits for: a request being received, answered or
     * queued behind one. Read by the stopping thread.
     */
    public boolean busy() {
        RequestProgress tracker = progress;
        return busy || tracker != null && tracker.receiving();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (counted) {
            counted = false;
            server.metrics().connectionClosed();
        }
        releasePipelined();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releasePipelined();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest request) || websocket) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (inFlight || !pipelined.isEmpty()) {
            if (pipelined.size() >= maxPipelined) {
                request.release();
                LOG.debug("{}: more than {} pipelined requests, closing", ctx.channel(), maxPipelined);
                ctx.close();
                return;
            }
            pipelined.add(request);
            ctx.channel().config().setAutoRead(false);
            return;
        }
        handle(ctx, request);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == ServerShutdownEvent.INSTANCE) {
            if (websocket && ctx.pipeline().get(WebSocketFrameEncoder.class) != null) {
                // Upgraded: the WebSocket protocol handler closes the connection once the close frame is answered
                // or its close timeout passes.
                ctx.channel().writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE))
                        .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            } else {
                // A request in flight or still arriving is answered, then the connection closes; an idle one
                // stays until the stop is done, and its next request gets 503.
                closeAfterResponse = true;
            }
        } else if (evt instanceof IdleStateEvent && !websocket && !inFlight) {
            LOG.debug("{}: idle HTTP connection, closing", ctx.channel());
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (websocket) {
            ctx.fireExceptionCaught(cause); // the WebSocket session answers with the fitting close code
            return;
        }
        LOG.debug("{}: closing after an unexpected error", ctx.channel(), cause);
        ctx.close();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.pipeline().get(RequestProgress.NAME) instanceof RequestProgress tracker) {
            progress = tracker;
        }
        limits = ConnectionLimits.of(ctx.channel(), server.config());
    }

    /** Whether a request is being answered or waits behind one. Event loop only. */
    boolean answering() {
        return inFlight || !pipelined.isEmpty();
    }

    private void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
        inFlight = true;
        busy = true;
        corsOrigin = null;
        boolean passedOn = false;
        try {
            passedOn = route(ctx, request);
        } catch (RuntimeException e) {
            LOG.warn("{}: {} {} failed", ctx.channel(), request.method(), request.uri(), e);
            if (inFlight) {
                sendError(ctx, request, HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error",
                        "the server failed to handle the request");
            }
        } finally {
            if (!passedOn) {
                request.release();
            }
        }
    }

    /** Returns {@code true} if the request was passed on (and so is no longer this handler's to release). */
    private boolean route(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (!request.decoderResult().isSuccess()) {
            closeAfterResponse = true;
            HttpLimits.sendDecoderFailure(ctx, request, this, server);
            return false;
        }
        if (!counted) {
            closeAfterResponse = true;
            sendError(ctx, request, HttpResponseStatus.SERVICE_UNAVAILABLE, "unavailable",
                    "the server has reached its connection limit; retry later");
            return false;
        }
        if (server.isShuttingDown()) {
            closeAfterResponse = true;
            sendError(ctx, request, HttpResponseStatus.SERVICE_UNAVAILABLE, "unavailable",
                    "the server is shutting down");
            return false;
        }
        if (HttpLimits.refusedRequest(ctx, request, this, server, limits)) {
            return false;
        }
        String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        if (!server.originPolicy().allows(origin, request.headers().get(HttpHeaderNames.HOST),
                TlsSupport.isTls(ctx.pipeline()))) {
            server.metrics().originRejected();
            sendError(ctx, request, HttpResponseStatus.FORBIDDEN, "origin_not_allowed",
                    "origin '" + origin + "' is not allowed");
            return false;
        }
        // An allowed Origin may read the response from a browser page (CORS); same-origin pages need no header.
        corsOrigin = origin;
        String path = new QueryStringDecoder(request.uri()).path();
        HttpMethod method = request.method();
        if (path.equals(server.config().websocketPath())) {
            if (!HttpMethod.GET.equals(method)) {
                return methodNotAllowed(ctx, request, "GET");
            }
            if (!acceptableUpgrade(ctx, request)) {
                return false;
            }
            Caller caller = HttpAccess.upgradeCaller(ctx, request, server, this);
            if (caller == null) {
                return false;
            }
            websocket = true;
            inFlight = false;
            busy = false;
            corsOrigin = null;
            if (ctx.pipeline().get(HTTP_IDLE_HANDLER) != null) {
                ctx.pipeline().remove(HTTP_IDLE_HANDLER); // the WebSocket session has its own idle handling
            }
            RequestDeadline.removeFrom(ctx.pipeline()); // frames are no HTTP requests; the handshake has a timeout
            // Added on the first upgrade request only, so plain HTTP connections carry no WebSocket state.
            WebSocketSupport.addHandlers(ctx.pipeline(), server, caller);
            ctx.fireChannelRead(request);
            return true;
        }
        switch (path) {
            case "/" -> {
                if (!server.config().demoPage()) {
                    sendError(ctx, request, HttpResponseStatus.NOT_FOUND, "not_found",
                            "no route for " + method + " " + path);
                } else if (!HttpMethod.GET.equals(method)) {
                    return methodNotAllowed(ctx, request, "GET");
                } else {
                    send(ctx, request, DemoPage.response(ctx.alloc(), server.config().websocketPath()));
                }
            }
            case "/health" -> {
                if (!HttpMethod.GET.equals(method)) {
                    return methodNotAllowed(ctx, request, "GET");
                }
                EngineStatus engine = server.engineStatus();
                if (engine == null) {
                    send(ctx, request, HttpResponses.json(ctx.alloc(), HttpResponseStatus.OK, HEALTH_OK));
                } else if (engine.available()) {
                    send(ctx, request, HttpResponses.json(ctx.alloc(), HttpResponseStatus.OK, HEALTH_OK_ENGINE));
                } else {
                    // 503 takes the node out of a load balancer's rotation while its engine is unreachable;
                    // its open WebSocket sessions stay, and catch up once the engine is back.
                    sendError(ctx, request, HttpResponseStatus.SERVICE_UNAVAILABLE, "engine_unavailable",
                            engine.detail());
                }
            }
            case "/metrics" -> {
                if (!HttpMethod.GET.equals(method)) {
                    return methodNotAllowed(ctx, request, "GET");
                }
                String token = HttpAccess.bearerToken(request.headers().get(HttpHeaderNames.AUTHORIZATION));
                if (!server.mayReadMetrics(token)) {
                    server.metrics().authenticationRefused();
                    FullHttpResponse refused = HttpResponses.error(ctx.alloc(), HttpResponseStatus.UNAUTHORIZED,
                            HttpAccess.UNAUTHORIZED, "/metrics needs the metrics token");
                    refused.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
                    send(ctx, request, refused);
                    return false;
                }
                send(ctx, request, HttpResponses.json(ctx.alloc(), HttpResponseStatus.OK, metricsJson()));
            }
            case "/publish" -> {
                if (!HttpMethod.POST.equals(method)) {
                    return methodNotAllowed(ctx, request, "POST");
                }
                if (!HttpLimits.refusedPublish(ctx, request, this, server, limits)) {
                    Caller caller = HttpAccess.caller(ctx, request, server, this);
                    if (caller != null) {
                        publish.handle(ctx, request, caller, this);
                    }
                }
            }
            default -> {
                if (path.startsWith(TOPICS_PREFIX) && path.endsWith(HISTORY_SUFFIX)
                        && path.length() >= TOPICS_PREFIX.length() + HISTORY_SUFFIX.length()) {
                    if (!HttpMethod.GET.equals(method)) {
                        return methodNotAllowed(ctx, request, "GET");
                    }
                    String topic = path.substring(TOPICS_PREFIX.length(), path.length() - HISTORY_SUFFIX.length());
                    Caller caller = HttpAccess.caller(ctx, request, server, this);
                    if (caller != null) {
                        history.handle(ctx, request, topic, caller, this);
                    }
                } else {
                    sendError(ctx, request, HttpResponseStatus.NOT_FOUND, "not_found",
                            "no route for " + method + " " + path);
                }
            }
        }
        return false;
    }

    /**
     * Checks a request for the WebSocket path before it is handed to the upgrade, so that a request that cannot
     * upgrade gets the JSON error every other route gives (Netty's handshaker would answer with plain text), and the
     * connection stays an HTTP connection, with its idle timeout. Returns whether the upgrade may go ahead.
     */
    private boolean acceptableUpgrade(ChannelHandlerContext ctx, FullHttpRequest request) {
        HttpHeaders headers = request.headers();
        if (!headers.containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)
                || !headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)) {
            FullHttpResponse response = HttpResponses.error(ctx.alloc(), HttpResponseStatus.UPGRADE_REQUIRED,
                    "upgrade_required", "this path speaks WebSocket: send Upgrade: websocket and Connection: Upgrade");
            response.headers().set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
            send(ctx, request, response);
            return false;
        }
        String version = headers.get(HttpHeaderNames.SEC_WEBSOCKET_VERSION);
        if (!"13".equals(version == null ? null : version.strip())) {
            FullHttpResponse response = HttpResponses.error(ctx.alloc(), HttpResponseStatus.UPGRADE_REQUIRED,
                    "upgrade_required", "unsupported WebSocket version " + (version == null ? "(none)"
                            : "'" + version + "'") + "; the server speaks version 13");
            response.headers().set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, "13");
            send(ctx, request, response);
            return false;
        }
        String key = headers.get(HttpHeaderNames.SEC_WEBSOCKET_KEY);
        if (key == null || key.isBlank()) {
            sendError(ctx, request, HttpResponseStatus.BAD_REQUEST, "bad_request",
                    "a WebSocket upgrade needs a Sec-WebSocket-Key header");
            return false;
        }
        return true;
    }

    /** Answers a CORS preflight ({@code OPTIONS}) for a route, or 405 for any other method the route lacks. */
    private boolean methodNotAllowed(ChannelHandlerContext ctx, FullHttpRequest request, String allow) {
        if (HttpMethod.OPTIONS.equals(request.method())) {
            FullHttpResponse preflight = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.NO_CONTENT, Unpooled.EMPTY_BUFFER);
            preflight.headers()
                    .set(HttpHeaderNames.ALLOW, allow)
                    .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, allow)
                    .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, PREFLIGHT_ALLOWED_HEADERS)
                    .setInt(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, 600)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
            send(ctx, request, preflight);
            return false;
        }
        FullHttpResponse response = HttpResponses.error(ctx.alloc(), HttpResponseStatus.METHOD_NOT_ALLOWED,
                "method_not_allowed", request.method() + " is not allowed here; use " + allow);
        response.headers().set(HttpHeaderNames.ALLOW, allow);
        send(ctx, request, response);
        return false;
    }

    private byte[] metricsJson() {
        BrokerStats b = server.broker().stats();
        ServerMetrics m = server.metrics();
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        try (JsonGenerator g = JsonSupport.factory().createGenerator(ObjectWriteContext.empty(), out)) {
            g.writeStartObject();
            if (server.config().nodeId() != null) {
                g.writeStringProperty("node", server.config().nodeId());
            }
            g.writeName("broker");
            g.writeStartObject();
            g.writeNumberProperty("published", b.published());
            g.writeNumberProperty("rejected", b.rejected());
            g.writeNumberProperty("delivered", b.delivered());
            g.writeNumberProperty("dropped", b.dropped());
            g.writeNumberProperty("subscriberErrors", b.subscriberErrors());
            g.writeNumberProperty("slowConsumersClosed", b.slowConsumersClosed());
            g.writeNumberProperty("topics", b.topics());
            g.writeNumberProperty("subscriptions", b.subscriptions());
            g.writeNumberProperty("pending", b.pending());
            g.writeEndObject();
            g.writeName("server");
            g.writeStartObject();
            g.writeNumberProperty("connectionsOpen", m.connectionsOpen());
            g.writeNumberProperty("connectionsAccepted", m.connectionsAccepted());
            g.writeNumberProperty("connectionsRejected", m.connectionsRejected());
            g.writeNumberProperty("websocketSessionsOpen", m.websocketSessionsOpen());
            g.writeNumberProperty("websocketSessionsTotal", m.websocketSessionsTotal());
            g.writeName("httpResponses");
            g.writeStartObject();
            g.writeNumberProperty("2xx", m.httpResponses(2));
            g.writeNumberProperty("3xx", m.httpResponses(3));
            g.writeNumberProperty("4xx", m.httpResponses(4));
            g.writeNumberProperty("5xx", m.httpResponses(5));
            g.writeEndObject();
            g.writeNumberProperty("originsRejected", m.originsRejected());
            g.writeNumberProperty("wsFramesIn", m.wsFramesIn());
            g.writeNumberProperty("wsFramesOut", m.wsFramesOut());
            g.writeNumberProperty("slowConsumersDisconnected", m.slowConsumersDisconnected());
            g.writeNumberProperty("gapsSent", m.gapsSent());
            g.writeNumberProperty("errorsSent", m.errorsSent());
            g.writeNumberProperty("authenticationsRefused", m.authenticationsRefused());
            g.writeNumberProperty("actionsForbidden", m.actionsForbidden());
            g.writeNumberProperty("tokensExpired", m.tokensExpired());
            g.writeNumberProperty("tlsHandshakeFailures", m.tlsHandshakeFailures());
            m.limits().writeFields(g, server.addressLimiter().trackedAddresses());
            g.writeEndObject();
            EngineStatus engine = server.engineStatus();
            if (engine != null) {
                g.writeName("engine");
                g.writeStartObject();
                g.writeBooleanProperty("available", engine.available());
                g.writeStringProperty("state", engine.detail());
                for (Map.Entry<String, Long> counter : engine.counters().entrySet()) {
                    g.writeNumberProperty(counter.getKey(), counter.getValue());
                }
                g.writeEndObject();
            }
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    /**
     * Sends an error response to the request in flight.
     *
     * @param ctx     the router's context
     * @param request the request
     * @param status  the status
     * @param code    the stable code
     * @param message the human description
     */
    void sendError(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status, String code,
                   String message) {
        send(ctx, request, HttpResponses.error(ctx.alloc(), status, code, message));
    }

    /**
     * Sends the response to the request in flight, on the event loop, and then serves the next pipelined
     * request. Only the request's version and keep-alive flag are read, so a caller answering later may pass a
     * request it has already released.
     *
     * @param ctx      the router's context
     * @param request  the request being answered
     * @param response the response
     */
    void send(ChannelHandlerContext ctx, FullHttpRequest request, FullHttpResponse response) {
        send(ctx, request.protocolVersion(), HttpUtil.isKeepAlive(request), response);
    }

    /**
     * Like {@link #send(ChannelHandlerContext, FullHttpRequest, FullHttpResponse)}, for callers that answer after
     * the request was released.
     *
     * @param ctx       the router's context
     * @param version   the request's HTTP version
     * @param keepAlive whether the client asked to keep the connection open
     * @param response  the response
     */
    void send(ChannelHandlerContext ctx, HttpVersion version, boolean keepAlive, FullHttpResponse response) {
        if (!ctx.executor().inEventLoop()) {
            try {
                ctx.executor().execute(() -> send(ctx, version, keepAlive, response));
            } catch (RejectedExecutionException e) {
                ReferenceCountUtil.release(response); // the event loop is gone, and the connection with it
            }
            return;
        }
        if (!inFlight || !ctx.channel().isActive()) {
            ReferenceCountUtil.release(response);
            return;
        }
        int status = response.status().code();
        server.metrics().httpResponse(status);
        if (status >= 400) {
            server.metrics().errorSent();
        }
        boolean close = !keepAlive || closeAfterResponse;
        response.setProtocolVersion(version);
        if (corsOrigin != null) {
            response.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, corsOrigin)
                    .set(HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, HistoryRoute.EXPOSED_HEADERS)
                    .add(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
            corsOrigin = null;
        }
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (version.equals(HttpVersion.HTTP_1_0)) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        inFlight = false;
        busy = !pipelined.isEmpty();
        if (close) {
            releasePipelined();
            busy = false;
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        if (!pipelined.isEmpty() && !drainScheduled) {
            drainScheduled = true;
            ctx.executor().execute(() -> drainPipelined(ctx));
        }
    }

    private void drainPipelined(ChannelHandlerContext ctx) {
        drainScheduled = false;
        while (!inFlight && !websocket && ctx.channel().isActive() && !pipelined.isEmpty()) {
            handle(ctx, pipelined.poll());
        }
        if (pipelined.isEmpty()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    private void releasePipelined() {
        FullHttpRequest r;
        while ((r = pipelined.poll()) != null) {
            r.release();
        }
    }
}
