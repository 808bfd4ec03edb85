package io.maaskit.functions.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

/**
 * What a Lambda {@code function.zip} may carry: ONNX Runtime's and the tokenizers' natives for the
 * one architecture it is built for ({@code -Dlambda.architecture}), no libtorch, no all-platform
 * ONNX Runtime jar, and under the size budget unzipped. Shared by the two Lambda modules' {@code
 * FunctionZipIT}s.
 */
public final class FunctionZips {
  /** Lambda's limit is 250 MB unzipped; the ONNX Runtime zips aim at under 80 MB. */
  public static final long MAX_UNZIPPED_BYTES = 80L * 1000 * 1000;

  private FunctionZips() {}

  /** {@code x86_64} or {@code arm64}, as the failsafe configuration passes it. */
  public static String architecture() {
    return System.getProperty("lambda.architecture", "x86_64");
  }

  /**
   * Whether the zips were built with the {@code lambda-pytorch} profile (they then carry libtorch).
   */
  public static boolean withPyTorch() {
    return Boolean.parseBoolean(System.getProperty("lambda.pytorch", "false"));
  }

  /**
   * Checks the zip's contents; returns its unzipped size in bytes.
   *
   * @param architecture {@code x86_64} or {@code arm64}
   */
  public static long assertOneArchitectureNoTorch(Path zipFile, String architecture)
      throws IOException {
    String ort = architecture.equals("arm64") ? "linux-aarch64" : "linux-x64";
    String tokenizers = architecture.equals("arm64") ? "linux-aarch64" : "linux-x86_64";
    long unzipped = 0;
    List<String> natives = new ArrayList<>();
    try (ZipFile zip = new ZipFile(zipFile.toFile())) {
      for (ZipEntry e : Collections.list(zip.entries())) {
        unzipped += Math.max(0, e.getSize());
        assertFalse(e.getName().toLowerCase(Locale.ROOT).contains("torch"), e.getName());
        assertFalse(
            e.getName().startsWith("lib/com.microsoft.onnxruntime.onnxruntime-"),
            "the all-platform ONNX Runtime jar: " + e.getName());
        assertFalse(
            e.getName().startsWith("lib/ai.djl.huggingface.tokenizers-"),
            "the all-platform tokenizers jar: " + e.getName());
        if (!e.getName().endsWith(".jar")) {
          continue;
        }
        try (ZipInputStream jar = new ZipInputStream(zip.getInputStream(e))) {
          for (ZipEntry j; (j = jar.getNextEntry()) != null; ) {
            String n = j.getName();
            assertFalse(n.contains("libtorch") || n.contains("djl_torch"), e + "!" + n);
            if (n.startsWith("ai/onnxruntime/native/") || n.startsWith("native/lib/")) {
              if (!j.isDirectory() && !n.endsWith(".properties")) {
                natives.add(n);
              }
            }
          }
        }
      }
    }
    Collections.sort(natives);
    assertEquals(
        List.of(
            "ai/onnxruntime/native/" + ort + "/libonnxruntime.so",
            "ai/onnxruntime/native/" + ort + "/libonnxruntime4j_jni.so",
            "native/lib/" + tokenizers + "/cpu/libtokenizers.so"),
        natives,
        "only " + architecture + "'s ONNX Runtime and tokenizer natives");
    assertTrue(
        unzipped < MAX_UNZIPPED_BYTES,
        zipFile + ": " + unzipped + " bytes unzipped, over " + MAX_UNZIPPED_BYTES);
    return unzipped;
  }
}
