package dev.herald.bench.reference;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The Netty transport the benchmark processes use: native epoll when it loads on this machine, NIO otherwise
 * (or when the system property {@code herald.bench.nio} is {@code true}). Stateless and thread-safe.
 */
public final class Transport {
    private static final boolean EPOLL = !Boolean.getBoolean("herald.bench.nio") && Epoll.isAvailable();

    private Transport() {
    }

    /**
     * The transport's name, for reports.
     *
     * @return {@code "epoll"} or {@code "nio"}
     */
    public static String name() {
        return EPOLL ? "epoll" : "nio";
    }

    /**
     * A new event loop group of the selected transport with daemon threads.
     *
     * @param threads number of event loops
     * @param name    thread name prefix
     * @return the group; the caller shuts it down
     */
    public static EventLoopGroup group(int threads, String name) {
        IoHandlerFactory io = EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), io);
    }

    /**
     * The server socket channel class of the selected transport.
     *
     * @return the class
     */
    public static Class<? extends ServerChannel> serverChannel() {
        return EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /**
     * The client socket channel class of the selected transport.
     *
     * @return the class
     */
    public static Class<? extends Channel> channel() {
        return EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
    }
}
