package dev.herald.core;

/**
 * Told about exceptions thrown by subscribers and custom policies. The broker has already counted and logged
 * them and carried on; the listener is for applications that want their own alerting.
 *
 * <p>Called on the thread where the error happened; must not block. Exceptions it throws are ignored.
 */
@FunctionalInterface
public interface ErrorListener {

    /**
     * Reports one error.
     *
     * @param filter the topic or pattern of the subscription whose code failed
     * @param error  what was thrown
     */
    void onSubscriberError(String filter, Throwable error);
}
