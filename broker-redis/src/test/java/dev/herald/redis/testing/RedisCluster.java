package dev.herald.redis.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * A real Redis Cluster of master-only {@link RedisServer} nodes on loopback, with all 16384 slots assigned.
 *
 * <p>{@link #start(int)} returns only once every node agrees the cluster is healthy, so a test can talk to any
 * node at once. Nodes can be killed, frozen and restarted individually through {@link #nodes()}; a restarted node
 * keeps its cluster identity because its {@code nodes.conf} lives in its own directory.
 */
public final class RedisCluster implements AutoCloseable {

    /** Redis Cluster's fixed number of hash slots. */
    public static final int SLOTS = 16384;

    /** {@code redis-cli --cluster create} needs a few seconds of gossip on a slow machine. */
    private static final Duration CREATE_TIMEOUT = Duration.ofSeconds(30);
    /** Upper bound for every node to report the cluster healthy after creation. */
    private static final Duration CONVERGE_TIMEOUT = Duration.ofSeconds(20);

    private final List<RedisServer> nodes;

    private RedisCluster(List<RedisServer> nodes) {
        this.nodes = List.copyOf(nodes);
    }

    /**
     * Starts a cluster of non-persistent master nodes with no replicas.
     *
     * @param masters how many masters; Redis Cluster needs at least 3
     * @return a cluster in which every node reports {@code cluster_state:ok} and all slots assigned
     * @throws IllegalArgumentException if {@code masters} is below 3
     * @throws IllegalStateException if the cluster cannot be formed in time
     */
    public static RedisCluster start(int masters) {
        return start(masters, RedisServer.Options.defaults());
    }

    /**
     * Starts a cluster of master nodes with no replicas, each configured with {@code options} and cluster mode.
     *
     * @param masters how many masters; Redis Cluster needs at least 3
     * @param options the nodes' options, for instance with AOF on; cluster mode is forced on
     * @return a cluster in which every node reports {@code cluster_state:ok} and all slots assigned
     * @throws IllegalArgumentException if {@code masters} is below 3
     * @throws IllegalStateException if the cluster cannot be formed in time
     */
    public static RedisCluster start(int masters, RedisServer.Options options) {
        if (masters < 3) {
            throw new IllegalArgumentException("Redis Cluster needs at least 3 masters, not " + masters);
        }
        RedisServer.Options nodeOptions = options.clusterEnabled(true);
        List<RedisServer> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < masters; i++) {
                nodes.add(RedisServer.start(nodeOptions));
            }
            List<String> create = new ArrayList<>(List.of("--cluster", "create"));
            for (RedisServer node : nodes) {
                create.add("127.0.0.1:" + node.port());
            }
            create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
            nodes.get(0).cli(CREATE_TIMEOUT, create.toArray(new String[0]));
            RedisCluster cluster = new RedisCluster(nodes);
            cluster.awaitHealthy(CONVERGE_TIMEOUT);
            return cluster;
        } catch (RuntimeException e) {
            closeAll(nodes, e);
            throw e;
        }
    }

    /**
     * The nodes, in the order they were started.
     *
     * @return an unmodifiable list
     */
    public List<RedisServer> nodes() {
        return nodes;
    }

    /**
     * Every node's address, so a cluster client can start from any of them.
     *
     * @return {@code redis://127.0.0.1:PORT} for each node, in node order
     */
    public List<String> seedUris() {
        return nodes.stream().map(RedisServer::uri).toList();
    }

    /**
     * The seed addresses as one comma-separated string, the form a configuration property takes.
     *
     * @return for instance {@code redis://127.0.0.1:7000,redis://127.0.0.1:7001,redis://127.0.0.1:7002}
     */
    public String seedUriList() {
        return String.join(",", seedUris());
    }

    /**
     * Finds the master that currently serves a slot, as the first running node sees it.
     *
     * @param slot a hash slot, 0 to 16383
     * @return the node serving it
     * @throws IllegalArgumentException if the slot is out of range
     * @throws IllegalStateException if no running node knows a master for the slot among this cluster's nodes
     */
    public RedisServer nodeForSlot(int slot) {
        if (slot < 0 || slot >= SLOTS) {
            throw new IllegalArgumentException("slot " + slot + " is not in 0.." + (SLOTS - 1));
        }
        RedisServer observer = anyRunningNode();
        for (NodeLine line : NodeLine.parseAll(observer.cli("CLUSTER", "NODES"))) {
            if (line.isMaster() && line.slots().get(slot)) {
                for (RedisServer node : nodes) {
                    if (node.port() == line.port()) {
                        return node;
                    }
                }
            }
        }
        throw new IllegalStateException("no node of " + seedUriList() + " serves slot " + slot);
    }

    /**
     * Finds the master that currently serves a key, hash tags included.
     *
     * @param key the key
     * @return the node serving the key's slot
     */
    public RedisServer nodeForKey(String key) {
        return nodeForSlot(slotOf(key));
    }

    /**
     * Asks Redis which slot a key hashes to.
     *
     * @param key the key
     * @return its slot, 0 to 16383
     */
    public int slotOf(String key) {
        return Integer.parseInt(anyRunningNode().cli("CLUSTER", "KEYSLOT", key));
    }

    /**
     * Waits until every running node reports {@code cluster_state:ok}, knows every running node as a connected
     * master, and sees all 16384 slots assigned; useful again after restarting nodes.
     *
     * @param timeout how long to wait
     * @throws IllegalStateException if the cluster is not healthy in time
     */
    public void awaitHealthy(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String problem;
        while (true) {
            problem = firstProblem();
            if (problem == null) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("Redis Cluster " + seedUriList() + " not healthy within " + timeout
                        + ": " + problem);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for Redis Cluster", e);
            }
        }
    }

    /**
     * Closes every node: kills the processes and deletes their directories. Calling it again does nothing.
     */
    @Override
    public void close() {
        closeAll(nodes, null);
    }

    @Override
    public String toString() {
        return "RedisCluster[" + seedUriList() + "]";
    }

    /** Describes why the cluster is not yet healthy, or returns null once it is. */
    private String firstProblem() {
        List<RedisServer> running = nodes.stream().filter(RedisServer::isRunning).toList();
        if (running.isEmpty()) {
            return "no node is running";
        }
        for (RedisServer node : running) {
            String info;
            List<NodeLine> lines;
            try {
                info = node.cli("CLUSTER", "INFO");
                lines = NodeLine.parseAll(node.cli("CLUSTER", "NODES"));
            } catch (IllegalStateException e) {
                return node + ": " + e.getMessage();
            }
            if (!info.contains("cluster_state:ok")) {
                return node + " reports " + info.lines().filter(l -> l.startsWith("cluster_state:")).findFirst()
                        .orElse("no cluster_state").trim();
            }
            BitSet assigned = new BitSet(SLOTS);
            for (NodeLine line : lines) {
                if (line.isMaster()) {
                    assigned.or(line.slots());
                }
            }
            if (assigned.cardinality() != SLOTS) {
                return node + " sees " + assigned.cardinality() + " of " + SLOTS + " slots assigned";
            }
            for (RedisServer peer : running) {
                boolean known = lines.stream().anyMatch(l -> l.port() == peer.port() && l.isMaster()
                        && l.isConnected() && !l.isFailing());
                if (!known) {
                    return node + " does not yet see " + peer + " as a connected, healthy master";
                }
            }
        }
        return null;
    }

    private RedisServer anyRunningNode() {
        return nodes.stream().filter(RedisServer::isRunning).findFirst()
                .orElseThrow(() -> new IllegalStateException("no node of " + seedUriList() + " is running"));
    }

    private static void closeAll(List<RedisServer> nodes, RuntimeException primary) {
        RuntimeException failure = primary;
        for (RedisServer node : nodes) {
            try {
                node.close();
            } catch (RuntimeException e) {
                // Close the rest regardless, so one stuck node does not leak the others.
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null && failure != primary) {
            throw failure;
        }
    }

    /**
     * One line of {@code CLUSTER NODES}:
     * {@code <id> <ip:port@cport[,hostname]> <flags> <master> <ping> <pong> <epoch> <link> <slot>...}.
     */
    private record NodeLine(int port, String flags, String linkState, BitSet slots) {

        static List<NodeLine> parseAll(String output) {
            return output.lines().map(String::strip).filter(l -> !l.isEmpty()).map(NodeLine::parse).toList();
        }

        static NodeLine parse(String line) {
            String[] fields = line.split(" ");
            if (fields.length < 8) {
                throw new IllegalStateException("unexpected CLUSTER NODES line: " + line);
            }
            String address = fields[1];
            int at = address.indexOf('@');
            String hostPort = at < 0 ? address : address.substring(0, at);
            int port = Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
            BitSet slots = new BitSet(SLOTS);
            for (int i = 8; i < fields.length; i++) {
                String range = fields[i];
                // "[slot->-id]" and "[slot-<-id]" mark a migration in progress, not ownership.
                if (range.startsWith("[")) {
                    continue;
                }
                int dash = range.indexOf('-');
                if (dash < 0) {
                    slots.set(Integer.parseInt(range));
                } else {
                    slots.set(Integer.parseInt(range.substring(0, dash)),
                            Integer.parseInt(range.substring(dash + 1)) + 1);
                }
            }
            return new NodeLine(port, fields[2], fields[7], slots);
        }

        boolean isMaster() {
            return hasFlag("master");
        }

        boolean isFailing() {
            return hasFlag("fail") || hasFlag("fail?") || hasFlag("handshake") || hasFlag("noaddr");
        }

        boolean isConnected() {
            return "connected".equals(linkState);
        }

        private boolean hasFlag(String flag) {
            for (String f : flags.split(",")) {
                if (f.equals(flag)) {
                    return true;
                }
            }
            return false;
        }
    }
}
