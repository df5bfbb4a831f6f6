package dev.herald.netty;

import io.netty.channel.ChannelHandler;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** An {@link EmbeddedChannel} whose peer has an IP address, as an accepted TCP connection has. */
public final class AddressChannel extends EmbeddedChannel {
    private final InetSocketAddress remote;

    /**
     * An open channel from {@code address} with a fresh id, registered (so that a {@code ChannelInitializer} among
     * the handlers runs) once its address is set.
     *
     * @param address  the client's address
     * @param handlers the handlers
     */
    public AddressChannel(InetAddress address, ChannelHandler... handlers) {
        super(DefaultChannelId.newInstance(), false, false);
        this.remote = new InetSocketAddress(address, 40_000);
        pipeline().addLast(handlers);
        try {
            register();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return remote;
    }
}
