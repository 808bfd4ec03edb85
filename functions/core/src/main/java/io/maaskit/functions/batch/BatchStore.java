package io.maaskit.functions.batch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the Files and Batches APIs keep their objects: uploaded files, batch states, chunk inputs
 * and chunk results. Keys are relative to the store's root ({@code files/file-…/content}). {@link
 * S3BatchStore} keeps them in a bucket under a prefix, {@link LocalBatchStore} in a directory (the
 * embedded default). Implementations are thread-safe and shared by every process that works on a
 * batch, so the conditional writes ({@link #create}, {@link #replace}) are what keeps two workers
 * from overwriting each other's state.
 */
public interface BatchStore {
  /** An object's bytes and the version a conditional {@link #replace} names. */
  record Stored(byte[] data, String version) {}

  /** Writes (or overwrites) an object from memory. */
  void put(String key, byte[] data) throws IOException;

  /** Writes (or overwrites) an object from a file, streamed. */
  void put(String key, Path file) throws IOException;

  /** Writes an object only if none exists at {@code key}; false when one did. */
  boolean create(String key, byte[] data) throws IOException;

  /** Overwrites an object only if it is still at {@code version}; false when it changed. */
  boolean replace(String key, byte[] data, String version) throws IOException;

  /** An object's bytes and version, or null when there is none. */
  Stored get(String key) throws IOException;

  /** An object's content as a stream (the caller closes it), or null when there is none. */
  InputStream open(String key) throws IOException;

  /** Every key that starts with {@code prefix}, sorted. */
  List<String> list(String prefix) throws IOException;

  /** Removes an object; a missing one is no error. */
  void delete(String key) throws IOException;

  /** Where the store is, for logs ({@code s3://bucket/prefix/}, a directory). */
  String location();
}
