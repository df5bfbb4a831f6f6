package dev.herald.core;

import dev.herald.core.contract.EngineUnderTest;
import dev.herald.core.contract.InMemoryEngineUnderTest;
import dev.herald.core.contract.ResumeSeamContract;
import net.jqwik.api.PropertyDefaults;

/** The replay-to-live seam contract on the in-memory engine. */
@PropertyDefaults(tries = 400)
class ResumeSeamProperties extends ResumeSeamContract {
    @Override
    protected EngineUnderTest engine() {
        return InMemoryEngineUnderTest.INSTANCE;
    }
}
