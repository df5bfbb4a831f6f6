package dev.herald.redis;

import dev.herald.core.contract.BrokerModelContract;
import dev.herald.core.contract.EngineUnderTest;
import net.jqwik.api.PropertyDefaults;

/** The model-based contract on the Redis engine over a three-primary Redis Cluster. */
@PropertyDefaults(tries = 10)
class RedisClusterModelProperties extends BrokerModelContract {
    @Override
    protected EngineUnderTest engine() {
        return RedisEngineUnderTest.CLUSTER;
    }
}
