package dev.herald.redis.internal;

import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Opens links; the public side of this package for {@code RedisEngine}. */
public final class RedisLinks {
    private RedisLinks() {
    }

    /**
     * Parses a Lettuce URI.
     *
     * @param uri the URI
     * @return the parsed URI
     * @throws IllegalArgumentException if it does not parse
     */
    public static RedisURI parse(String uri) {
        try {
            return RedisURI.create(uri);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a Redis URI: '" + uri + "' (" + e.getMessage() + ")", e);
        }
    }

    /**
     * A link to one server.
     *
     * @param uri            the server
     * @param connectTimeout connect timeout
     * @param commandTimeout command timeout
     * @param events         where the link reports
     * @return the connected link
     */
    public static RedisLink standalone(String uri, Duration connectTimeout, Duration commandTimeout,
                                       RedisLink.Events events) {
        return StandaloneLink.connect(parse(uri), connectTimeout, commandTimeout, events);
    }

    /**
     * A link to a cluster.
     *
     * @param seeds          seed nodes
     * @param connectTimeout connect timeout
     * @param commandTimeout command timeout
     * @param events         where the link reports
     * @return the connected link
     */
    public static RedisLink cluster(List<String> seeds, Duration connectTimeout, Duration commandTimeout,
                                    RedisLink.Events events) {
        List<RedisURI> uris = new ArrayList<>(seeds.size());
        for (String seed : seeds) {
            uris.add(parse(seed));
        }
        return ClusterLink.connect(uris, connectTimeout, commandTimeout, events);
    }
}
