package dev.herald.core;

import dev.herald.core.contract.BrokerModelContract;
import dev.herald.core.contract.EngineUnderTest;
import dev.herald.core.contract.InMemoryEngineUnderTest;
import net.jqwik.api.PropertyDefaults;

/** The model-based contract on the in-memory engine. */
@PropertyDefaults(tries = 200)
class BrokerModelProperties extends BrokerModelContract {
    @Override
    protected EngineUnderTest engine() {
        return InMemoryEngineUnderTest.INSTANCE;
    }
}
