package dev.herald.redis;

import dev.herald.core.contract.EngineUnderTest;
import dev.herald.core.contract.ResumeSeamContract;
import net.jqwik.api.PropertyDefaults;

/** The replay-to-live seam contract on the Redis engine, whose reads really are late. */
@PropertyDefaults(tries = 150)
class RedisResumeSeamProperties extends ResumeSeamContract {
    @Override
    protected EngineUnderTest engine() {
        return RedisEngineUnderTest.INSTANCE;
    }
}
