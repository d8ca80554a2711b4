/**
 * The location model, used by every other module and using none: a {@link io.locusfs.xattr.Location}
 * (a zone path such as {@code eu/gb/london/hq}, optional coordinates), zone patterns, a node's
 * Ed25519 identity ({@link io.locusfs.xattr.NodeIdentity}), signed location records
 * ({@link io.locusfs.xattr.LocationRecord}) and their verification, and the reserved
 * {@code user.location*} names only the filesystem writes ({@link io.locusfs.xattr.ReservedAttributes}).
 */
package io.locusfs.xattr;
