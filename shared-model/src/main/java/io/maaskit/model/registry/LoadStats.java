package io.maaskit.model.registry;

/**
 * What one model load cost: bytes pulled from the store, bytes served by the local cache (or read
 * in place from a local store), and time split into fetch+verify and building the model.
 */
public record LoadStats(
    String model,
    long bytesDownloaded,
    long bytesFromCache,
    long bytesLocal,
    long fetchMillis,
    long buildMillis) {

  /** Total wall time of the load. */
  public long totalMillis() {
    return fetchMillis + buildMillis;
  }

  /** Download throughput in MB/s (0 if nothing was downloaded). */
  public double downloadMBps() {
    return bytesDownloaded == 0 || fetchMillis == 0
        ? 0
        : bytesDownloaded / 1e6 / (fetchMillis / 1e3);
  }

  /** One log line. */
  public String logLine() {
    return String.format(
        "model %s loaded in %d ms (fetch+verify %d ms, build %d ms): %d bytes downloaded at %.1f MB/s, %d from cache, %d read in place",
        model,
        totalMillis(),
        fetchMillis,
        buildMillis,
        bytesDownloaded,
        downloadMBps(),
        bytesFromCache,
        bytesLocal);
  }
}
