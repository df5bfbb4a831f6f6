/**
 * Who may connect, subscribe, publish and read history: {@link dev.herald.netty.auth.Authorizer} turns a client's
 * token into an {@link dev.herald.netty.auth.Identity} with {@link dev.herald.netty.auth.Grants}.
 * {@link dev.herald.netty.auth.JwtAuthorizer} is the implementation for signed JSON Web Tokens.
 */
package dev.herald.netty.auth;
