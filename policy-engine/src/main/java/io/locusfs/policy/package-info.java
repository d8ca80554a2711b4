/**
 * Location policies: TOML parsing that reports every problem with file, line and column
 * ({@link io.locusfs.policy.ConfigFields}, shared by every config file), access rules (who, from
 * where, how far) and placement rules (where a file and its replicas may live), caller-location
 * claims, and hot reload that keeps the last good policy. A decision is a pure function of its
 * inputs: this package reads no store.
 */
package io.locusfs.policy;
