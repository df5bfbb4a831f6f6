package dev.herald.examples.inprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class InProcessExampleTest {

    @Test
    void servicesExchangeEventsWithWildcardResumeHistoryAndABoundedSubscriber() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        InProcessExample.Report report;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            report = InProcessExample.run(out);
        }
        String printed = bytes.toString(StandardCharsets.UTF_8);

        // The wildcard subscriber summed both regions: eu 1200 + 4500 + 150, us 990 + 2000.
        assertEquals(Map.of("eu", 5850L, "us", 2990L), report.billingTotals());
        // Resumed after offset 1: the two missed events from history, then the live one, no gap, no duplicate.
        assertEquals(List.of(2L, 3L, 4L), report.auditOffsets());
        assertTrue(report.auditRecovered());
        assertEquals(List.of("o-4", "o-6"), report.latestHistory());
        // Stuck on reading 1 while 19 arrived, with room for 4: it got 1 and the newest 4; 15 were dropped.
        assertEquals(List.of(1L, 17L, 18L, 19L, 20L), report.dashboardOffsets());
        assertEquals(15, report.dashboardDropped());

        assertTrue(printed.contains("orders    -> orders.eu #1 o-1"), printed);
        assertTrue(printed.contains("audit resumed after offset 1, recovered everything: true"), printed);
        assertTrue(printed.contains("dashboard saw offsets [1, 17, 18, 19, 20]; its queue dropped 15"), printed);
    }
}
