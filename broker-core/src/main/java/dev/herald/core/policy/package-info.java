/**
 * Policies that decide how much history a topic keeps ({@link dev.herald.core.policy.HistoryPolicy}) and how
 * messages reach a subscriber that is slower than its publishers ({@link dev.herald.core.policy.DeliveryPolicy}).
 */
package dev.herald.core.policy;
