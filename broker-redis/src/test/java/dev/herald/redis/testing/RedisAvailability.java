package dev.herald.redis.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Decides whether tests that need real Redis binaries can run on this machine.
 *
 * <p>A developer without Redis gets skipped tests rather than red ones, but CI must never quietly skip them: a
 * missing package there is a broken pipeline, so under {@code CI=true} the check fails instead.
 */
public final class RedisAvailability {

    /** Checked even when PATH omits it, because Debian's package installs there and some runners trim PATH. */
    private static final Path SYSTEM_BIN = Path.of("/usr/bin");

    private RedisAvailability() {
    }

    /**
     * Skips the calling test unless both {@code redis-server} and {@code redis-cli} are installed.
     *
     * <p>Call it from {@code @BeforeAll} or {@code @BeforeEach}.
     *
     * @throws AssertionError when the binaries are missing and the environment variable {@code CI} is {@code true}
     * @throws org.opentest4j.TestAbortedException when the binaries are missing outside CI
     */
    public static void assumeRedisInstalled() {
        if (isRedisInstalled()) {
            return;
        }
        String missing = "redis-server and redis-cli 7 are not installed (apt-get install redis-server)";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError(missing + "; under CI=true the Redis tests must run, so .ci/run must install "
                    + "Debian's redis-server package");
        }
        assumeTrue(false, missing + "; skipping the tests that need a real Redis");
    }

    /**
     * Tells whether both Redis binaries can be found.
     *
     * @return {@code true} when {@code redis-server} and {@code redis-cli} are executable on PATH or in /usr/bin
     */
    public static boolean isRedisInstalled() {
        return find("redis-server").isPresent() && find("redis-cli").isPresent();
    }

    /**
     * Finds an executable by name on PATH, then in /usr/bin.
     *
     * @param name the executable's file name, such as {@code redis-server}
     * @return its path, or empty when it is nowhere to be found
     */
    public static Optional<Path> find(String name) {
        List<Path> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String entry : path.split(File.pathSeparator)) {
                if (!entry.isEmpty()) {
                    dirs.add(Path.of(entry));
                }
            }
        }
        dirs.add(SYSTEM_BIN);
        for (Path dir : dirs) {
            Path candidate = dir.resolve(name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Resolves an executable for launching, falling back to the bare name so the OS error names what is missing. */
    static String executable(String name) {
        return find(name).map(Path::toString).orElse(name);
    }
}
