package dev.herald.netty.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.ReferenceCountedOpenSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS on a connection: the {@link SslHandler} at the front of the pipeline, with the handshake bounded, and behind it
 * a handler that counts failed handshakes and closes a connection whose TLS fails without passing the error on.
 * Stateless and thread-safe.
 */
public final class TlsSupport {
    /** Name of the {@link SslHandler} in the pipeline: the first handler. */
    public static final String SSL_HANDLER_NAME = "tls";
    /** Name of the handler right after it that watches the handshake and TLS errors. */
    public static final String MONITOR_NAME = "tls-monitor";

    private static final Logger LOG = LoggerFactory.getLogger(TlsSupport.class);
    private static final String HTTP_1_1 = "http/1.1";

    private TlsSupport() {
    }

    /**
     * Checks that a context can serve Herald: a server context that offers no application protocol but HTTP/1.1
     * through ALPN (a client offered {@code h2} would speak HTTP/2, which the pipeline does not).
     *
     * @param sslContext the context
     * @return the context
     * @throws IllegalArgumentException if it is a client context, or offers another protocol
     */
    public static SslContext requireServer(SslContext sslContext) {
        Objects.requireNonNull(sslContext, "sslContext");
        if (!sslContext.isServer()) {
            throw new IllegalArgumentException("sslContext must be a server context (SslContextBuilder.forServer), "
                    + "was a client context: " + sslContext);
        }
        @SuppressWarnings("deprecation") // the one way to read what a built context negotiates
        List<String> protocols = sslContext.applicationProtocolNegotiator().protocols();
        for (String protocol : protocols) {
            if (!HTTP_1_1.equals(protocol)) {
                throw new IllegalArgumentException("sslContext offers the application protocols " + protocols
                        + " through ALPN, but Herald speaks HTTP/1.1 only: build it without an "
                        + "ApplicationProtocolConfig, or with http/1.1 alone");
            }
        }
        return sslContext;
    }

    /**
     * Adds TLS to the end of a connection's pipeline, which must be empty so far: the {@link SslHandler}, whose
     * handshake must finish within {@code handshakeTimeout} (or the connection closes), and the monitor.
     *
     * @param channel          the connection
     * @param sslContext       the server context
     * @param handshakeTimeout the longest a handshake may take
     * @param monitor          the server's monitor, from {@link #monitor(ServerMetrics)}
     */
    public static void addHandlers(Channel channel, SslContext sslContext, Duration handshakeTimeout,
                                   ChannelHandler monitor) {
        SslHandler ssl = sslContext.newHandler(channel.alloc());
        ssl.setHandshakeTimeoutMillis(handshakeTimeout.toMillis());
        ChannelPipeline pipeline = channel.pipeline();
        pipeline.addLast(SSL_HANDLER_NAME, ssl);
        pipeline.addLast(MONITOR_NAME, monitor);
    }

    /**
     * The monitor every TLS connection of one server shares.
     *
     * @param metrics the server's counters
     * @return a sharable handler
     */
    public static ChannelHandler monitor(ServerMetrics metrics) {
        return new Monitor(metrics);
    }

    /**
     * Whether a connection speaks TLS that this server terminates: its pipeline has an {@link SslHandler}, ours
     * or one the application added.
     *
     * @param pipeline the connection's pipeline
     * @return {@code true} for TLS
     */
    public static boolean isTls(ChannelPipeline pipeline) {
        return pipeline.get(SslHandler.class) != null;
    }

    /**
     * Names the TLS implementation behind a context, for the log.
     *
     * @param sslContext the context
     * @return {@code OpenSSL}, {@code JDK}, or the context's class name for another one
     */
    public static String providerName(SslContext sslContext) {
        if (sslContext instanceof ReferenceCountedOpenSslContext) {
            return "OpenSSL";
        }
        if (sslContext instanceof JdkSslContext) {
            return "JDK";
        }
        return sslContext.getClass().getSimpleName();
    }

    /**
     * Counts every handshake that does not complete (a client that sent no TLS, timed out, refused the certificate,
     * or closed first) and logs it at debug; closes a connection on a TLS error instead of passing the error to the
     * HTTP handlers, which would try to answer over a broken channel. Passes everything else on.
     */
    @ChannelHandler.Sharable
    private static final class Monitor extends ChannelInboundHandlerAdapter {
        private final ServerMetrics metrics;

        Monitor(ServerMetrics metrics) {
            this.metrics = metrics;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof SslHandshakeCompletionEvent handshake && !handshake.isSuccess()) {
                metrics.tlsHandshakeFailed();
                if (LOG.isDebugEnabled()) {
                    LOG.debug("{}: TLS handshake failed: {}", ctx.channel(), describe(handshake.cause()));
                }
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            SSLException tls = tlsCause(cause);
            if (tls == null) {
                ctx.fireExceptionCaught(cause);
                return;
            }
            SslHandler ssl = ctx.pipeline().get(SslHandler.class);
            if (ssl != null && ssl.handshakeFuture().cause() != null) {
                LOG.trace("{}: closing after the failed TLS handshake", ctx.channel());
            } else {
                LOG.debug("{}: TLS error, closing: {}", ctx.channel(), describe(tls));
            }
            ctx.close();
        }

        private static SSLException tlsCause(Throwable cause) {
            for (Throwable t = cause; t != null; t = t.getCause()) {
                if (t instanceof SSLException ssl) {
                    return ssl;
                }
                if (t.getCause() == t) {
                    break;
                }
            }
            return null;
        }

        private static String describe(Throwable cause) {
            if (cause instanceof NotSslRecordException) {
                // Its message is a hex dump of everything received: plain HTTP sent to the TLS port, usually.
                return "the client did not speak TLS (plain HTTP to the HTTPS port?)";
            }
            if (cause instanceof SslHandshakeTimeoutException) {
                return cause.getMessage();
            }
            if (cause instanceof ClosedChannelException) {
                return "the connection closed first (a client that does not trust the certificate, or a port probe)";
            }
            return cause == null ? "unknown" : cause.toString();
        }
    }
}
