package io.maaskit.model.store.internal;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.maaskit.model.pkg.PackageFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cache's size budget ({@code MAAS_CACHE_BUDGET_MB}): least-recently-used files go first. */
class PackageCacheTest {
  @TempDir Path dir;

  record Blob(PackageFile file, byte[] bytes) {
    PackageCache.Download download() {
      return sink -> sink.write(0, ByteBuffer.wrap(bytes));
    }
  }

  static Blob blob(String name, int size) throws Exception {
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[i] = (byte) (name.hashCode() + i);
    }
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    return new Blob(new PackageFile(name, size, sha), b);
  }

  private static void fill(PackageCache cache, Blob b, long ageSeconds) throws Exception {
    Path p = cache.fill(b.file(), "test", b.download());
    Files.setLastModifiedTime(
        p, FileTime.fromMillis(System.currentTimeMillis() - ageSeconds * 1000));
  }

  @Test
  void aBudgetEvictsTheLeastRecentlyUsedFiles() throws Exception {
    Blob a = blob("a", 400_000);
    Blob b = blob("b", 400_000);
    Blob c = blob("c", 400_000);
    PackageCache budget = new PackageCache(dir.resolve("budget"), 1_000_000);
    fill(budget, a, 30);
    fill(budget, b, 20);
    fill(budget, c, 10);
    assertNull(budget.lookup(a.file()), "oldest evicted to fit c");
    assertNotNull(budget.lookup(b.file()));
    assertNotNull(budget.lookup(c.file()));

    PackageCache unlimited = new PackageCache(dir.resolve("unlimited"), 0);
    fill(unlimited, a, 30);
    fill(unlimited, b, 20);
    fill(unlimited, c, 10);
    assertNotNull(unlimited.lookup(a.file()), "without a budget nothing is evicted");
  }
}
