package io.maaskit.tools.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Minimal {@code --flag value} / {@code --switch} parsing for the kit's commands, with clear errors
 * for unknown flags and missing values.
 */
public final class Args {
  private final Map<String, String> values = new HashMap<>();
  private final List<String> positional = new ArrayList<>();

  private Args() {}

  /**
   * Parses {@code argv}.
   *
   * @param withValue flags that take a value (without the leading dashes)
   * @param switches flags that take none
   */
  public static Args parse(String[] argv, Set<String> withValue, Set<String> switches) {
    Args a = new Args();
    for (int i = 0; i < argv.length; i++) {
      String s = argv[i];
      if (s.startsWith("--")) {
        String key = s.substring(2);
        String inline = null;
        int eq = key.indexOf('=');
        if (eq >= 0) {
          inline = key.substring(eq + 1);
          key = key.substring(0, eq);
        }
        if (switches.contains(key)) {
          a.values.put(key, "true");
        } else if (withValue.contains(key)) {
          if (inline == null) {
            if (i + 1 >= argv.length) {
              throw new UsageException("--" + key + " needs a value");
            }
            inline = argv[++i];
          }
          a.values.put(key, inline);
        } else {
          throw new UsageException("unknown option --" + key);
        }
      } else {
        a.positional.add(s);
      }
    }
    return a;
  }

  public boolean has(String key) {
    return values.containsKey(key);
  }

  public String get(String key, String dflt) {
    return values.getOrDefault(key, dflt);
  }

  public String require(String key) {
    String v = values.get(key);
    if (v == null) {
      throw new UsageException("--" + key + " is required");
    }
    return v;
  }

  public int getInt(String key, int dflt) {
    String v = values.get(key);
    try {
      return v == null ? dflt : Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new UsageException("--" + key + " must be an integer, got '" + v + "'");
    }
  }

  public double getDouble(String key, double dflt) {
    String v = values.get(key);
    try {
      return v == null ? dflt : Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new UsageException("--" + key + " must be a number, got '" + v + "'");
    }
  }

  public List<String> positional() {
    return positional;
  }

  /** A command-line mistake: printed with the usage, exit code 2. */
  public static final class UsageException extends RuntimeException {
    public UsageException(String message) {
      super(message);
    }
  }

  /**
   * Runs a command body with uniform handling: usage errors → exit 2 with usage; other failures →
   * "error: message", exit 1.
   */
  public static void run(String usage, String[] argv, Body body) {
    for (String s : argv) {
      if (s.equals("--help") || s.equals("-h")) {
        System.out.println(usage);
        System.exit(0);
      }
    }
    try {
      body.run();
      System.exit(0);
    } catch (UsageException e) {
      System.err.println("error: " + e.getMessage());
      System.err.println();
      System.err.println(usage);
      System.exit(2);
    } catch (Exception e) {
      System.err.println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      if (Defaults.debug()) {
        e.printStackTrace();
      }
      System.exit(1);
    }
  }

  /** A command body. */
  @FunctionalInterface
  public interface Body {
    void run() throws Exception;
  }
}
