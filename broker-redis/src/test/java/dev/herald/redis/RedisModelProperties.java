package dev.herald.redis;

import dev.herald.core.contract.BrokerModelContract;
import dev.herald.core.contract.EngineUnderTest;
import net.jqwik.api.PropertyDefaults;

/** The model-based contract on the Redis engine: the same chains and checks as for the in-memory engine. */
@PropertyDefaults(tries = 100)
class RedisModelProperties extends BrokerModelContract {
    @Override
    protected EngineUnderTest engine() {
        return RedisEngineUnderTest.INSTANCE;
    }
}
