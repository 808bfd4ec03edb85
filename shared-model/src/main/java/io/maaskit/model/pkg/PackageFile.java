package io.maaskit.model.pkg;

/**
 * One file of a model package as the manifest records it: relative path, size in bytes and
 * lower-case hex SHA-256. The hash is the file's identity in caches.
 */
public record PackageFile(String path, long size, String sha256) {}
