/**
 * Who may connect, subscribe, publish and read history: {@link dev.herald.netty.auth.Authorizer} turns a client's
 * token into an {@link dev.herald.netty.auth.Identity} with {@link dev.herald.netty.auth.Grants}.
 */
package dev.herald.netty.auth;
