package dev.herald.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.herald.core.model.FakeClock;
import dev.herald.core.model.ManualExecutor;
import dev.herald.core.policy.DeliveryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Regression tests for how a subscription closed as a slow consumer learns why. */
class SlowConsumerCloseTest {

    @Test
    void subscriptionClosedAsSlowIsToldSlowConsumerEvenWhenTheBrokerClosesBeforeItsDrainRuns() {
        ManualExecutor executor = new ManualExecutor();
        Broker<String> broker = Broker.<String>builder().executor(executor).clock(new FakeClock())
                .closeGracePeriod(Duration.ZERO).build();
        List<String> callbacks = new ArrayList<>();
        Subscription subscription = broker.subscribe("t", SubscribeOptions.live()
                .delivery(DeliveryPolicy.closeOnOverflow(1)), new Subscriber<String>() {
                    @Override
                    public void onMessage(Message<String> message) {
                        callbacks.add("message " + message.offset());
                    }

                    @Override
                    public void onClose(CloseReason reason) {
                        callbacks.add("close " + reason);
                    }
                });
        broker.publish("t", "fills the queue");
        broker.publish("t", "passes the bound");
        assertFalse(subscription.isOpen(), "closed as slow as soon as the bound was passed");

        // The drain task that would say SLOW_CONSUMER has not run when the broker closes.
        broker.close();
        executor.runAll();

        assertEquals(List.of("close " + CloseReason.SLOW_CONSUMER), callbacks);
        assertEquals(1, broker.stats().slowConsumersClosed());
        assertEquals(2, subscription.stats().droppedOnClose());
    }
}
