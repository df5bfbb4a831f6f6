package dev.herald.bench.load;

import dev.herald.bench.redis.RedisProcess;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Herald nodes sharing topics through one redis-server, all started by the generator: seen as one server whose
 * {@link #websocket} and memory figures are node 0's, whose CPU is the sum of the nodes' (a killed node counts with
 * what it had used until it died), and whose store's CPU is the redis-server's. Closing stops the nodes, then Redis.
 */
final class ClusterHandle extends ServerHandle {
    private final RedisProcess redis;
    private final ProcessHandle redisProcess;
    private final List<Spawned> nodes;
    private final List<URI> uris;
    /** Each node's CPU seconds when last read, so that a node that is gone still counts. */
    private final double[] lastCpu;

    private ClusterHandle(String name, RedisProcess redis, ProcessHandle redisProcess, List<Spawned> nodes) {
        super(name, nodes.get(0).websocket, nodes.get(0).pid);
        this.redis = redis;
        this.redisProcess = redisProcess;
        this.nodes = nodes;
        this.uris = nodes.stream().map(n -> n.websocket).toList();
        this.lastCpu = new double[nodes.size()];
    }

    /**
     * Starts a redis-server, then {@code count} node processes of {@code mainClass} on it at once (so their JVMs
     * start in parallel), each with {@code args} and {@code --redis URI --node-id NAME-i}. Whatever was started is
     * stopped again if any of it fails.
     */
    static ClusterHandle start(String name, int count, String mainClass, List<String> jvmArgs, List<String> args)
            throws IOException, InterruptedException {
        RedisProcess redis = RedisProcess.start();
        ProcessHandle redisProcess = ProcessHandle.of(redis.pid()).orElseThrow();
        adopt(redisProcess);
        List<CompletableFuture<Spawned>> starting = new ArrayList<>();
        // One thread per node: the common pool has a single thread on two cores, which would start them in turn.
        ExecutorService launcher = Executors.newFixedThreadPool(count);
        for (int i = 0; i < count; i++) {
            String node = name + "-" + i;
            List<String> nodeArgs = new ArrayList<>(args);
            nodeArgs.addAll(List.of("--redis", redis.uri(), "--node-id", node));
            starting.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return spawn(node, mainClass, jvmArgs, nodeArgs);
                } catch (IOException e) {
                    throw new CompletionException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CompletionException(e);
                }
            }, launcher));
        }
        launcher.shutdown();
        List<Spawned> nodes = new ArrayList<>();
        Throwable failure = null;
        for (CompletableFuture<Spawned> future : starting) {
            try {
                nodes.add(future.join());
            } catch (CompletionException e) {
                failure = failure == null ? e.getCause() : failure;
            }
        }
        if (failure != null) {
            nodes.forEach(Spawned::close);
            closeRedis(redis, redisProcess);
            throw new IOException("could not start " + name + ": " + failure.getMessage(), failure);
        }
        return new ClusterHandle(name, redis, redisProcess, nodes);
    }

    @Override
    List<URI> nodes() {
        return uris;
    }

    @Override
    synchronized double cpuSeconds() {
        double total = 0;
        for (int i = 0; i < nodes.size(); i++) {
            Spawned node = nodes.get(i);
            if (node.alive()) {
                double cpu = node.cpuSeconds();
                if (cpu < 0) {
                    return -1;
                }
                lastCpu[i] = cpu;
            }
            total += lastCpu[i];
        }
        return total;
    }

    @Override
    double storeCpuSeconds() {
        return cpuSeconds(redis.pid());
    }

    @Override
    void killNode(int index) throws InterruptedException {
        cpuSeconds(); // the victim's last reading, which is all it will ever have used
        nodes.get(index).kill();
    }

    @Override
    boolean alive() {
        return nodes.get(0).alive();
    }

    @Override
    public void close() {
        // Nodes first, so that none of them sees Redis vanish and logs reconnect attempts.
        nodes.forEach(Spawned::close);
        closeRedis(redis, redisProcess);
    }

    private static void closeRedis(RedisProcess redis, ProcessHandle process) {
        redis.close();
        if (!process.isAlive()) {
            release(process);
        }
    }
}
