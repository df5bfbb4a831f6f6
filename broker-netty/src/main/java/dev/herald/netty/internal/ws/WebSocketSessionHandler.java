package dev.herald.netty.internal.ws;

import dev.herald.core.Broker;
import dev.herald.core.CloseReason;
import dev.herald.core.HeraldException;
import dev.herald.core.Message;
import dev.herald.core.PublishResult;
import dev.herald.core.RejectReason;
import dev.herald.core.StreamPosition;
import dev.herald.core.SubscribeOptions;
import dev.herald.core.Subscriber;
import dev.herald.core.Subscription;
import dev.herald.core.Topics;
import dev.herald.core.policy.DeliveryPolicy;
import dev.herald.netty.HeraldServerConfig;
import dev.herald.netty.RawJson;
import dev.herald.netty.SlowConsumerPolicy;
import dev.herald.netty.auth.Authorizer;
import dev.herald.netty.auth.Identity;
import dev.herald.netty.internal.Caller;
import dev.herald.netty.internal.ConnectionLimits;
import dev.herald.netty.internal.RawJsonAccess;
import dev.herald.netty.internal.ServerContext;
import dev.herald.netty.internal.ServerMetrics;
import dev.herald.netty.internal.ServerShutdownEvent;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebSocket connection's session, from the completed handshake to the close: decodes client commands,
 * owns the connection's subscriptions, and feeds their messages to the client through an {@link OutboundQueue}.
 *
 * <p>Concurrency: all fields are confined to the channel's event loop, except the outbound queue, which the
 * broker's publisher threads feed. Subscriptions use {@link DeliveryPolicy#direct()}: the broker hands each
 * message to {@link OutboundQueue#offer} on the publisher's thread, which only enqueues. Nothing here blocks the
 * event loop, except {@link Subscription#close()}, which may wait for an enqueue in progress on another thread.
 *
 * <p>Rate limits: each command takes a permit of the connection's {@link ConnectionLimits} ({@link CommandLimiter});
 * a refused one is answered with {@code rate_limited} and not executed.
 *
 * <p>Close codes: 1001 on idle timeout and when the broker closes; 1008 after {@value #MAX_CONSECUTIVE_ERRORS}
 * refused commands in a row, or for a client that goes on past its rate limits; 1009 for an over-long fragmented
 * message (a single over-long frame is closed with 1009 by the frame decoder); 1011 on an unexpected server error;
 * 1013 for a slow consumer; 4001 for a refused token, or none where one is needed; 4002 when the token expires.
 *
 * <p>Access: {@link SessionAccess} holds what the session may do; each subscribe and publish is checked against
 * its grants, and an {@code auth} command replaces them.
 */
final class WebSocketSessionHandler extends ChannelInboundHandlerAdapter {
    /** Refused commands in a row after which the connection is closed with 1008. */
    static final int MAX_CONSECUTIVE_ERRORS = 100;
    static final String IDLE_HANDLER_NAME = "herald-ws-idle";
    static final String HEARTBEAT_HANDLER_NAME = "herald-ws-heartbeat";

    private static final Logger LOG = LoggerFactory.getLogger(WebSocketSessionHandler.class);
    private static final int MAX_ECHOED_LENGTH = 64;

    private final Broker<RawJson> broker;
    private final HeraldServerConfig config;
    private final ServerMetrics metrics;
    private final SessionAccess access;

    // Sized for the usual few subscriptions per connection: tens of thousands of idle connections each hold one.
    private final Map<String, Subscription> subscriptions = new HashMap<>(4);
    /** Topics whose subscribe is under way; {@code null} while there is none, which is almost always. */
    private Set<String> pendingSubscribes;
    private ChannelHandlerContext ctx;
    private OutboundQueue outbound;
    private boolean sessionOpen;
    private boolean closing;
    private int consecutiveErrors;
    private CommandLimiter limiter;

    WebSocketSessionHandler(ServerContext server, Caller caller) {
        this.broker = server.broker();
        this.config = server.config();
        this.metrics = server.metrics();
        this.access = new SessionAccess(server.authorizer(), caller);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.limiter = new CommandLimiter(ConnectionLimits.of(ctx.channel(), config), metrics.limits());
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        endSession();
    }

    // ---------------------------------------------------------------- lifecycle

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            startSession();
            ctx.fireUserEventTriggered(evt);
        } else if (evt == HeartbeatHandler.HEARTBEAT_DUE) {
            if (sessionOpen && !closing) {
                ctx.writeAndFlush(new PingWebSocketFrame(), ctx.voidPromise());
                metrics.wsFramesOut(1);
            }
        } else if (evt instanceof IdleStateEvent idle && idle.state() == IdleState.READER_IDLE && sessionOpen) {
            closeSession(1001, "idle timeout");
        } else if (evt == CommandLimiter.LIMIT_EXCEEDED) {
            closeWhenAnswered(1008, "rate limit exceeded");
        } else if (evt instanceof ServerShutdownEvent) {
            // The router sends the 1001 close frame; delivery stops here so nothing follows it.
            stopDelivery();
            ctx.fireUserEventTriggered(evt);
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    private void startSession() {
        if (sessionOpen) {
            return;
        }
        sessionOpen = true;
        metrics.websocketSessionOpened();
        outbound = new OutboundQueue(ctx, config.outboundQueueLimit(),
                config.slowConsumerPolicy() == SlowConsumerPolicy.DROP, metrics, this::closeSlowConsumer);
        ctx.channel().config().setWriteBufferWaterMark(
                new WriteBufferWaterMark(config.writeBufferLowWaterMark(), config.writeBufferHighWaterMark()));
        // Before the protocol handler, so that pings and pongs (which it consumes) count as activity; added only
        // now, so plain HTTP connections carry no WebSocket timers.
        ChannelPipeline pipeline = ctx.pipeline();
        String protocol = pipeline.context(WebSocketServerProtocolHandler.class).name();
        pipeline.addBefore(protocol, IDLE_HANDLER_NAME,
                new IdleStateHandler(config.idleTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS));
        pipeline.addBefore(protocol, HEARTBEAT_HANDLER_NAME,
                new HeartbeatHandler(config.heartbeatInterval().toMillis()));
        access.start(ctx, this::tokenExpired, () -> refuseAndClose(CommandError.UNAUTHORIZED,
                "no auth command within " + config.handshakeTimeout().toMillis() + " ms", null),
                config.handshakeTimeout());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        endSession();
        ctx.fireChannelInactive();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (sessionOpen) {
            boolean writable = ctx.channel().isWritable();
            // Read only as fast as the client reads: a client that sends commands without reading the replies
            // stops being read instead of growing the outbound buffer.
            ctx.channel().config().setAutoRead(writable);
            if (writable && !closing) {
                outbound.resume();
            }
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            closeSession(1009, "message too big");
        } else if (cause instanceof CorruptedWebSocketFrameException) {
            // The frame decoder has already sent the close frame with the matching status.
            LOG.debug("closing {} after a protocol violation: {}", ctx.channel(), cause.getMessage());
            stopDelivery();
        } else if (cause instanceof ClosedChannelException) {
            LOG.trace("write after close on {}", ctx.channel());
        } else if (cause instanceof IOException) {
            LOG.debug("I/O error on {}: {}", ctx.channel(), cause.toString());
            stopDelivery();
            ctx.close();
        } else {
            LOG.warn("unexpected error on WebSocket session {}", ctx.channel(), cause);
            closeSession(1011, "internal error");
        }
    }

    /** Ends delivery and the session's subscriptions; sends nothing. Idempotent. */
    private void stopDelivery() {
        closing = true;
        access.stop();
        if (!subscriptions.isEmpty()) {
            for (Subscription subscription : new ArrayList<>(subscriptions.values())) {
                try {
                    subscription.close();
                } catch (RuntimeException e) {
                    LOG.warn("closing subscription {} failed", subscription, e);
                }
            }
            subscriptions.clear();
        }
        if (outbound != null) {
            outbound.close();
        }
    }

    private void endSession() {
        stopDelivery();
        if (sessionOpen) {
            sessionOpen = false;
            metrics.websocketSessionClosed();
        }
    }

    /** Sends a close frame and closes the connection once it is written (or after the close timeout). */
    private void closeSession(int code, String reason) {
        if (closing && !sessionOpen) {
            return;
        }
        boolean alreadyClosing = closing;
        stopDelivery();
        if (alreadyClosing || !ctx.channel().isActive()) {
            ctx.close();
            return;
        }
        ctx.writeAndFlush(new CloseWebSocketFrame(code, reason), ctx.voidPromise());
        metrics.wsFramesOut(1);
        ctx.close();
    }

    /**
     * Sends a close frame and stops handling commands, but goes on reading (and dropping) what the client sends:
     * the protocol handler closes the connection when the client answers the close, and a timer after
     * {@value WebSocketSupport#CLOSE_FRAME_TIMEOUT_MILLIS} ms otherwise. A client that floods commands is still
     * sending when it is closed; closing the socket under its data would reset the connection, and the client would
     * likely never see the close frame that says why.
     */
    private void closeWhenAnswered(int code, String reason) {
        if (closing) {
            return;
        }
        stopDelivery();
        if (!ctx.channel().isActive()) {
            ctx.close();
            return;
        }
        ctx.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        metrics.wsFramesOut(1);
        ScheduledFuture<?> timeout = ctx.executor().schedule(() -> {
            ctx.close();
        }, WebSocketSupport.CLOSE_FRAME_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        ctx.channel().closeFuture().addListener(f -> timeout.cancel(false));
    }

    private void closeSlowConsumer() {
        if (!closing) {
            metrics.slowConsumerDisconnected();
            closeSession(1013, "slow consumer");
        }
    }

    // ---------------------------------------------------------------- inbound

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame frame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            metrics.wsFramesIn(1);
            if (!sessionOpen || closing) {
                return;
            }
            if (frame instanceof TextWebSocketFrame) {
                CommandDecoder.Result decoded = CommandDecoder.decode(ByteBufUtil.getBytes(frame.content()));
                if (!rateLimited(limiter.check(decoded))) {
                    onCommand(decoded);
                }
            } else if (frame instanceof BinaryWebSocketFrame && !rateLimited(limiter.check(null))) {
                error(new CommandError(CommandError.UNSUPPORTED_FRAME,
                        "binary frames are not supported; send commands as JSON text frames", null));
            }
            // Ping, pong and close frames are answered by the protocol handler before they get here.
        } finally {
            ReferenceCountUtil.release(frame);
        }
    }

    /** Sends a rate-limit refusal, if there is one, and closes with 1008 if it says so. */
    private boolean rateLimited(CommandLimiter.Refusal refusal) {
        if (refusal == null) {
            return false;
        }
        reply(refusal.json());
        metrics.errorSent();
        if (refusal.close()) {
            closeWhenAnswered(1008, "rate limit exceeded");
        }
        return true;
    }

    private void onCommand(CommandDecoder.Result decoded) {
        if (decoded instanceof CommandError refused) {
            error(refused);
            return;
        }
        ClientCommand command = (ClientCommand) decoded;
        if (access.awaitingToken() && !command.action().equals("auth") && !command.action().equals("ping")) {
            metrics.actionForbidden();
            refuseAndClose(CommandError.UNAUTHORIZED, "authenticate first: send {\"action\":\"auth\",\"token\":...}",
                    command.id());
            return;
        }
        switch (command.action()) {
            case "auth" -> authenticate(command);
            case "subscribe" -> subscribe(command);
            case "unsubscribe" -> unsubscribe(command);
            case "publish" -> publish(command);
            case "ping" -> {
                consecutiveErrors = 0;
                reply(Replies.pong(command.id()));
            }
            default -> error(new CommandError(CommandError.UNKNOWN_ACTION, "unknown action '"
                    + shorten(command.action()) + "'; expected subscribe, unsubscribe, publish, auth or ping",
                    command.id()));
        }
    }

    private void subscribe(ClientCommand command) {
        ClientCommand.RequestId id = command.id();
        String topic = command.topic();
        if (topic == null) {
            error(new CommandError(CommandError.MISSING_FIELD, "\"topic\" is required", id));
            return;
        }
        try {
            Topics.requireFilter(topic);
        } catch (HeraldException e) {
            error(new CommandError(CommandError.INVALID_TOPIC, e.getMessage(), id));
            return;
        }
        if (!access.grants().maySubscribe(topic)) {
            forbidden("subscribe to '" + topic + "'", id);
            return;
        }
        boolean replays = command.resumes() || command.replaysLast();
        if (command.resumes() && command.replaysLast()) {
            error(new CommandError(CommandError.INVALID_POSITION,
                    "use either \"offset\" with \"epoch\", or \"last\", not both", id));
            return;
        }
        if (command.resumes() && (command.offset() < 0 || command.epoch() == null)) {
            error(new CommandError(CommandError.INVALID_POSITION,
                    "\"offset\" and \"epoch\" go together: send both to resume", id));
            return;
        }
        if (subscriptions.containsKey(topic) || pendingSubscribes != null && pendingSubscribes.contains(topic)) {
            Subscription existing = subscriptions.get(topic);
            if (replays || existing == null) {
                error(new CommandError(CommandError.ALREADY_SUBSCRIBED, "already subscribed to '" + topic
                        + "'; unsubscribe first to resume from another position", id));
            } else {
                consecutiveErrors = 0;
                reply(Replies.subscribed(id, topic, existing.position(), null));
            }
            return;
        }
        int max = config.maxSubscriptionsPerConnection();
        int pending = pendingSubscribes == null ? 0 : pendingSubscribes.size();
        if (subscriptions.size() + pending >= max) {
            error(new CommandError(CommandError.TOO_MANY_SUBSCRIPTIONS,
                    "at most " + max + " subscriptions per connection", id));
            return;
        }
        SubscribeOptions options = command.resumes()
                ? SubscribeOptions.from(new StreamPosition(command.offset(), command.epoch()))
                : command.replaysLast() ? SubscribeOptions.last(command.last()) : SubscribeOptions.live();
        options = options.delivery(DeliveryPolicy.direct());
        // Messages queued before this command go out before its reply; the replay and live messages after it.
        outbound.writeNow();
        if (pendingSubscribes == null) {
            pendingSubscribes = new HashSet<>(4);
        }
        pendingSubscribes.add(topic);
        CompletionStage<Subscription> stage;
        outbound.beginReplay();
        try {
            stage = broker.subscribeAsync(topic, options, new ChannelSubscriber());
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        } finally {
            outbound.endReplay();
        }
        stage.whenComplete((subscription, error) -> onLoop(() -> subscribed(command, subscription, error)));
    }

    private void subscribed(ClientCommand command, Subscription subscription, Throwable failure) {
        String topic = command.topic();
        if (pendingSubscribes != null && pendingSubscribes.remove(topic) && pendingSubscribes.isEmpty()) {
            pendingSubscribes = null;
        }
        if (failure != null) {
            error(refusal(failure, command.id()));
            return;
        }
        if (closing) {
            subscription.close();
            return;
        }
        if (!access.grants().maySubscribe(topic)) {
            // A new token arrived while the subscribe was under way, and it does not allow this one.
            subscription.close();
            forbidden("subscribe to '" + topic + "'", command.id());
            return;
        }
        subscriptions.put(topic, subscription);
        consecutiveErrors = 0;
        boolean replays = command.resumes() || command.replaysLast();
        reply(Replies.subscribed(command.id(), topic, subscription.position(),
                replays ? subscription.recovered() : null));
    }

    private void unsubscribe(ClientCommand command) {
        String topic = command.topic();
        if (topic == null) {
            error(new CommandError(CommandError.MISSING_FIELD, "\"topic\" is required", command.id()));
            return;
        }
        Subscription subscription = subscriptions.remove(topic);
        if (subscription == null) {
            error(new CommandError(CommandError.NOT_SUBSCRIBED,
                    "not subscribed to '" + shorten(topic) + "'", command.id()));
            return;
        }
        subscription.close();
        // Messages of this subscription already queued go out before the reply; none come after it.
        outbound.writeNow();
        consecutiveErrors = 0;
        reply(Replies.unsubscribed(command.id(), topic));
    }

    private void publish(ClientCommand command) {
        ClientCommand.RequestId id = command.id();
        if (command.topic() == null) {
            error(new CommandError(CommandError.MISSING_FIELD, "\"topic\" is required", id));
            return;
        }
        if (command.data() == null) {
            error(new CommandError(CommandError.MISSING_FIELD, "\"data\" is required", id));
            return;
        }
        // An invalid name is the broker's to refuse (invalid_topic), whatever the grants.
        if (Topics.isValidName(command.topic()) && !access.grants().mayPublish(command.topic())) {
            forbidden("publish to '" + command.topic() + "'", id);
            return;
        }
        CompletionStage<PublishResult> stage;
        try {
            // The decoder validated the data while parsing the command; it is not parsed again.
            stage = broker.publish(command.topic(), RawJsonAccess.trusted(command.data()));
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        stage.whenComplete((result, failure) -> onLoop(() -> {
            if (failure != null) {
                error(refusal(failure, id));
            } else if (result instanceof PublishResult.Accepted accepted) {
                consecutiveErrors = 0;
                reply(Replies.published(id, accepted));
            } else {
                PublishResult.Rejected rejected = (PublishResult.Rejected) result;
                error(new CommandError(code(rejected.reason()), rejected.message(), id));
            }
        }));
    }

    private void authenticate(ClientCommand command) {
        if (command.token() == null) {
            error(new CommandError(CommandError.MISSING_FIELD, "\"token\" is required", command.id()));
            return;
        }
        Authorizer.Authentication result = access.authenticate(ctx, command.token(), this::tokenExpired);
        if (result instanceof Authorizer.Authentication.Refused refused) {
            metrics.authenticationRefused();
            refuseAndClose(CommandError.UNAUTHORIZED, refused.reason(), command.id());
            return;
        }
        consecutiveErrors = 0;
        Identity identity = ((Authorizer.Authentication.Accepted) result).identity();
        reply(Replies.authenticated(command.id(), identity));
        // The new grants replace the old ones: what they no longer allow ends now, after what was already queued.
        if (!subscriptions.isEmpty()) {
            for (String topic : new ArrayList<>(subscriptions.keySet())) {
                if (!access.grants().maySubscribe(topic)) {
                    subscriptions.remove(topic).close();
                    outbound.writeNow();
                    reply(Replies.unsubscribed(topic, CommandError.FORBIDDEN));
                }
            }
        }
    }

    /** Refuses an action the grants do not allow; asks for a token if the client has none. */
    private void forbidden(String action, ClientCommand.RequestId id) {
        metrics.actionForbidden();
        if (access.anonymous()) {
            error(new CommandError(CommandError.UNAUTHORIZED, "a token is needed to " + action, id));
        } else {
            error(new CommandError(CommandError.FORBIDDEN, "the token does not allow you to " + action, id));
        }
    }

    private void tokenExpired() {
        if (!closing) {
            metrics.tokenExpired();
            refuseAndClose(CommandError.TOKEN_EXPIRED, "the token expired; reconnect with a fresh one, or send a "
                    + "fresh one with auth before it expires", null);
        }
    }

    /** Sends an error frame, then closes: for an authentication that failed or ran out. */
    private void refuseAndClose(String code, String message, ClientCommand.RequestId id) {
        outbound.writeNow();
        reply(Replies.error(new CommandError(code, message, id)));
        metrics.errorSent();
        closeSession(code.equals(CommandError.TOKEN_EXPIRED) ? SessionAccess.CLOSE_TOKEN_EXPIRED
                : SessionAccess.CLOSE_UNAUTHORIZED, code.equals(CommandError.TOKEN_EXPIRED) ? "token expired"
                : "unauthorized");
    }

    private static CommandError refusal(Throwable failure, ClientCommand.RequestId id) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof HeraldException refused) {
            return new CommandError(code(refused.reason()), refused.getMessage(), id);
        }
        LOG.warn("broker call failed", cause);
        return new CommandError(CommandError.INTERNAL_ERROR, "the server could not complete the request", id);
    }

    /** The error code of a broker refusal: the reason's name in lower case, e.g. {@code invalid_topic}. */
    static String code(RejectReason reason) {
        return reason.name().toLowerCase(Locale.ROOT);
    }

    // ---------------------------------------------------------------- outbound

    private void reply(byte[] json) {
        if (closing) {
            return;
        }
        ctx.writeAndFlush(new TextWebSocketFrame(Unpooled.wrappedBuffer(json)), ctx.voidPromise());
        metrics.wsFramesOut(1);
    }

    private void error(CommandError error) {
        if (closing) {
            return;
        }
        reply(Replies.error(error));
        metrics.errorSent();
        if (++consecutiveErrors >= MAX_CONSECUTIVE_ERRORS) {
            closeSession(1008, "too many invalid commands");
        }
    }

    private void onLoop(Runnable task) {
        EventExecutor executor = ctx.executor();
        if (executor.inEventLoop()) {
            task.run();
        } else {
            try {
                executor.execute(task);
            } catch (RejectedExecutionException e) {
                LOG.debug("event loop shut down; dropping a completion for {}", ctx.channel());
            }
        }
    }

    private static String shorten(String s) {
        return s.length() <= MAX_ECHOED_LENGTH ? s : s.substring(0, MAX_ECHOED_LENGTH) + "...";
    }

    /** Number of open subscriptions; for tests. Event loop only. */
    int subscriptionCount() {
        return subscriptions.size();
    }

    /** Messages waiting to be written; for tests. */
    int queuedMessages() {
        return outbound == null ? 0 : outbound.size();
    }

    /** Feeds one subscription's messages into the connection's outbound queue. */
    private final class ChannelSubscriber implements Subscriber<RawJson> {
        @Override
        public void onMessage(Message<RawJson> message) {
            offer(message);
        }

        /** Refuses what the outbound queue discards, so the broker counts it dropped, not delivered. */
        @Override
        public boolean offer(Message<RawJson> message) {
            OutboundQueue queue = outbound;
            return queue != null && queue.offer(message);
        }

        @Override
        public void onClose(CloseReason reason) {
            switch (reason) {
                case BROKER_CLOSED -> onLoop(() -> closeSession(1001, "broker closed"));
                // 1012 (service restart): the client reconnects and resumes from its position, which tells it
                // what it lost (recovered: false) and the topic's new epoch.
                case CONTINUITY_LOST -> onLoop(() -> closeSession(1012, "topic continuity lost"));
                default -> onLoop(() -> closeSession(1001, "slow consumer"));
            }
        }
    }
}
