package io.maaskit.model.testing;

import java.util.ArrayList;
import java.util.List;

/** Varied inputs for parity tests: short, long, non-ASCII, punctuation, code, numbers. */
public final class TestTexts {
  private TestTexts() {}

  /** At least 30 varied inputs. */
  public static List<String> varied() {
    List<String> t =
        new ArrayList<>(
            List.of(
                "Hello world",
                "a",
                "The quick brown fox jumps over the lazy dog.",
                "Serverless inference puts models behind HTTP endpoints without running a model server.",
                "¿Dónde está la biblioteca? Está cerca de la estación.",
                "Größenwahn und Übermut führen selten zum Ziel.",
                "日本語のテキストも埋め込みできます。",
                "Это предложение написано по-русски.",
                "مرحبا بالعالم",
                "emoji test 🚀🔥 with symbols ©®™",
                "!!!???...;;;:::",
                "(parentheses) [brackets] {braces} <angles>",
                "C'est l'été, n'est-ce pas?",
                "user@example.com visited https://example.org/path?q=1&r=2",
                "3.14159 2.71828 1.41421 42 1e10 -7",
                "def add(a, b):\n    return a + b",
                "SELECT id, name FROM users WHERE age > 30 ORDER BY name;",
                "   leading and trailing spaces   ",
                "tabs\tand\nnewlines\r\nmixed",
                "ALL CAPS SENTENCE SHOUTING LOUDLY",
                "The patient was prescribed 20mg of atorvastatin daily.",
                "Stocks rallied after the central bank held interest rates steady.",
                "I absolutely loved this movie, the acting was superb!",
                "This product broke after two days. Terrible quality.",
                "Photosynthesis converts light energy into chemical energy.",
                "naïve café résumé coöperate",
                "Ελληνικά γράμματα",
                "中文句子测试，包含标点符号。",
                "x",
                "The mitochondria is the powerhouse of the cell, and this sentence repeats it."));
    StringBuilder longText = new StringBuilder();
    for (int i = 0; i < 60; i++) {
      longText
          .append("Sentence number ")
          .append(i)
          .append(" talks about distributed systems and caching. ");
    }
    t.add(longText.toString()); // far beyond 256 tokens: exercises truncation
    StringBuilder medium = new StringBuilder();
    for (int i = 0; i < 12; i++) {
      medium.append("Model packages are verified by SHA-256 before loading. ");
    }
    t.add(medium.toString());
    return t;
  }

  /** Cosine similarity. */
  public static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }
}
