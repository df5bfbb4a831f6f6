package dev.herald.netty;

import io.netty.buffer.AbstractByteBuf;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class if Netty's leak detector reports a leaked buffer (or other tracked resource) while the class
 * runs. Use it on every test class that touches Netty: {@code @ExtendWith(NettyLeakDetectorExtension.class)}.
 *
 * <p>Netty only logs leaks, and only notices a leak when the leaked object has been garbage collected and a later
 * allocation polls the detector's queue. So this extension installs, once per JVM and before any buffer class is
 * initialized, a detector factory whose detectors record every report; after the class's tests it forces a few
 * collections, allocates to make the detectors poll, and fails if anything was recorded since the class started.
 * A leak reported late may surface in the next class that uses the extension; the message then says which tests
 * ran before. Run with {@code -Dio.netty.leakDetection.level=paranoid} (the build does) so every buffer is tracked.
 */
public final class NettyLeakDetectorExtension implements BeforeAllCallback, AfterAllCallback {
    private static final ConcurrentLinkedQueue<String> LEAKS = new ConcurrentLinkedQueue<>();
    private static final Object INSTALL_LOCK = new Object();
    private static volatile boolean installed;
    private static volatile String previousClass = "(none)";

    @Override
    public void beforeAll(ExtensionContext context) {
        install();
        // Anything reported before this class started belongs to earlier classes, which already failed for it.
        collectAndPoll();
        LEAKS.clear();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        collectAndPoll();
        List<String> leaks = new ArrayList<>(LEAKS);
        LEAKS.clear();
        String finished = context.getRequiredTestClass().getName();
        String before = previousClass;
        previousClass = finished;
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " Netty resource leak(s) reported during " + finished
                    + " (possibly from " + before + " if reported late):\n" + String.join("\n\n", leaks));
        }
    }

    /** Installs the recording factory, once; fails if a buffer class already created its detector. */
    private static void install() {
        if (installed) {
            return;
        }
        synchronized (INSTALL_LOCK) {
            if (installed) {
                return;
            }
            ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
            Object bufferDetector = bufferLeakDetector();
            if (!(bufferDetector instanceof RecordingDetector)) {
                throw new IllegalStateException("ByteBuf's leak detector was created before "
                        + NettyLeakDetectorExtension.class.getSimpleName()
                        + " was installed; use the extension on every Netty test class: " + bufferDetector);
            }
            installed = true;
        }
    }

    private static Object bufferLeakDetector() {
        try {
            Field field = AbstractByteBuf.class.getDeclaredField("leakDetector");
            field.setAccessible(true);
            return field.get(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot check ByteBuf's leak detector", e);
        }
    }

    /** Collects garbage and allocates tracked buffers, so that the detectors report what was collected. */
    private static void collectAndPoll() {
        for (int i = 0; i < 5; i++) {
            System.gc();
            try {
                Thread.sleep(20); // let the reference handler enqueue the collected trackers
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            ByteBuf pooled = PooledByteBufAllocator.DEFAULT.buffer(1);
            pooled.release();
            ByteBuf unpooled = UnpooledByteBufAllocator.DEFAULT.heapBuffer(1);
            unpooled.release();
        }
    }

    private static final class RecordingFactory extends ResourceLeakDetectorFactory {
        @Override
        @SuppressWarnings("deprecation") // the abstract method every factory must implement
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                                                                   long maxActive) {
            return new RecordingDetector<>(resource, samplingInterval);
        }

        @Override
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval) {
            return new RecordingDetector<>(resource, samplingInterval);
        }
    }

    private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {
        RecordingDetector(Class<T> resource, int samplingInterval) {
            super(resource, samplingInterval);
        }

        @Override
        protected boolean needReport() {
            return true;
        }

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            LEAKS.add("LEAK of " + resourceType + ":" + records);
            super.reportTracedLeak(resourceType, records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
            LEAKS.add("LEAK of " + resourceType + " (no records; run with paranoid leak detection)");
            super.reportUntracedLeak(resourceType);
        }
    }
}
