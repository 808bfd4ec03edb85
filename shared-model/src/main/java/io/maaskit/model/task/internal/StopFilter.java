package io.maaskit.model.task.internal;

import java.util.List;

/**
 * Holds generated text back while it could still become a stop string, and cuts the text at the
 * first stop string found, so a stop string never reaches a client in any delta. Holds back exactly
 * the longest tail that is a prefix of some stop string (at most {@code max(len) - 1} characters,
 * as vLLM does), and never splits a surrogate pair.
 */
public final class StopFilter {
  private final List<String> stops;
  private final StringBuilder text = new StringBuilder();
  private int emitted;
  private boolean stopped;

  public StopFilter(List<String> stops) {
    this.stops = List.copyOf(stops);
  }

  /** Appends generated text; returns what may be emitted now. */
  public String push(String delta) {
    if (stopped || delta.isEmpty()) {
      return "";
    }
    text.append(delta);
    int cut = -1;
    for (String s : stops) {
      int at = text.indexOf(s, emitted);
      if (at >= 0 && (cut < 0 || at < cut)) {
        cut = at;
      }
    }
    if (cut >= 0) {
      text.setLength(cut);
      stopped = true;
      return take(text.length());
    }
    int hold = 0;
    for (String s : stops) {
      for (int k = Math.min(s.length() - 1, text.length() - emitted); k > hold; k--) {
        if (endsWith(s, k)) {
          hold = k;
          break;
        }
      }
    }
    int end = text.length() - hold;
    if (end > emitted && end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))) {
      end--;
    }
    return take(end);
  }

  /** Whether the text's last {@code k} characters are the first {@code k} of {@code stop}. */
  private boolean endsWith(String stop, int k) {
    int start = text.length() - k;
    for (int i = 0; i < k; i++) {
      if (text.charAt(start + i) != stop.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private String take(int end) {
    if (end <= emitted) {
      return "";
    }
    String out = text.substring(emitted, end);
    emitted = end;
    return out;
  }

  /** Whether a stop string was found. */
  public boolean stopped() {
    return stopped;
  }

  /** At the end of a choice: everything held back (no stop string completed). */
  public String flush() {
    return take(text.length());
  }

  /** The whole text so far (held-back part included, stop string excluded). */
  public String text() {
    return text.toString();
  }
}
