package io.maaskit.tools.quant;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Texts the accuracy gate runs through the float32 and the int8 model. Two sets ship with the kit
 * under {@code calibration/} on the classpath: {@link #calibration()} (what {@code
 * scripts/quantize} gates on) and {@link #heldOut()} (disjoint from it, for tests, so a test does
 * not grade the quantizer on the inputs it was gated on). Both mix topics, languages and scripts,
 * punctuation, code, numbers, and lengths from one token to well past 512.
 *
 * <p>File format (UTF-8): one input per line; {@code \n}, {@code \t} and {@code \\} inside a line
 * stand for a newline, a tab and a backslash; blank lines and lines starting with {@code #} are
 * skipped (write {@code \#} for an input that starts with {@code #}).
 *
 * <pre>{@code
 * List<String> texts = CalibrationSet.calibration().texts();
 * CalibrationSet custom = CalibrationSet.read(Path.of("my-inputs.txt"));
 * }</pre>
 *
 * @param name where the set came from (shown in progress and errors)
 * @param texts the inputs, in file order
 */
public record CalibrationSet(String name, List<String> texts) {
  /** Classpath resource of the calibration set. */
  public static final String CALIBRATION = "calibration/calibration.txt";

  /** Classpath resource of the held-out set. */
  public static final String HELD_OUT = "calibration/held-out.txt";

  public CalibrationSet {
    texts = List.copyOf(texts);
    if (texts.isEmpty()) {
      throw new IllegalArgumentException("calibration set " + name + " has no inputs");
    }
  }

  /** The calibration set shipped with the kit (at least 200 inputs). */
  public static CalibrationSet calibration() {
    return resource(CALIBRATION);
  }

  /**
   * The held-out set shipped with the kit (at least 100 inputs, none of them in the calibration
   * set).
   */
  public static CalibrationSet heldOut() {
    return resource(HELD_OUT);
  }

  /** Reads a set in the format above from a file. */
  public static CalibrationSet read(Path file) throws IOException {
    return new CalibrationSet(
        file.toString(), parse(Files.readString(file, StandardCharsets.UTF_8)));
  }

  /**
   * {@code n} inputs spread evenly over the set (all of them if there are fewer), so a quick check
   * still sees short, long, code and non-English inputs.
   */
  public CalibrationSet sample(int n) {
    if (n >= texts.size()) {
      return this;
    }
    if (n <= 0) {
      throw new IllegalArgumentException("sample size must be positive, got " + n);
    }
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(texts.get((int) ((long) i * texts.size() / n)));
    }
    return new CalibrationSet(name + " (" + n + " of " + texts.size() + ")", out);
  }

  /** Number of inputs. */
  public int size() {
    return texts.size();
  }

  private static CalibrationSet resource(String path) {
    try (InputStream in = CalibrationSet.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException(
            path + " is missing from the classpath (shared-model jar incomplete?)");
      }
      return new CalibrationSet(path, parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  /** Parses the line format described on the class. */
  public static List<String> parse(String content) {
    List<String> out = new ArrayList<>();
    for (String line : content.split("\r?\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      out.add(unescape(line));
    }
    return out;
  }

  private static String unescape(String line) {
    StringBuilder sb = new StringBuilder(line.length());
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\\' && i + 1 < line.length()) {
        char n = line.charAt(++i);
        switch (n) {
          case 'n' -> sb.append('\n');
          case 't' -> sb.append('\t');
          case 'r' -> sb.append('\r');
          case '\\' -> sb.append('\\');
          case '#' -> sb.append('#');
          default -> sb.append(c).append(n);
        }
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
