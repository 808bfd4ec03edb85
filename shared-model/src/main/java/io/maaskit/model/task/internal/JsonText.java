package io.maaskit.model.task.internal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Plain JSON text in and out for the task layer (which stays free of a JSON library): values as
 * maps, lists, strings, numbers, booleans and null; compact writing; and the raw text of an
 * object's members, so a tool call's arguments reach the client byte for byte as generated.
 */
public final class JsonText {
  private final String s;
  private int at;

  private JsonText(String s) {
    this.s = s;
  }

  /**
   * Parses one JSON value (surrounding whitespace allowed).
   *
   * @throws IllegalArgumentException when the text is not exactly one JSON value
   */
  public static Object parse(String text) {
    JsonText p = new JsonText(text);
    Object v = p.value();
    p.ws();
    if (p.at != text.length()) {
      throw p.error("text after the value");
    }
    return v;
  }

  /** The raw text of each member of a JSON object, in order; null when the text is no object. */
  public static Map<String, String> members(String text) {
    JsonText p = new JsonText(text);
    try {
      p.ws();
      if (p.peek() != '{') {
        return null;
      }
      p.at++;
      Map<String, String> out = new LinkedHashMap<>();
      p.ws();
      if (p.peek() == '}') {
        p.at++;
      } else {
        while (true) {
          p.ws();
          String key = p.string();
          p.ws();
          p.expect(':');
          p.ws();
          int start = p.at;
          p.value();
          out.put(key, text.substring(start, p.at));
          p.ws();
          if (p.peek() == ',') {
            p.at++;
          } else {
            p.expect('}');
            break;
          }
        }
      }
      p.ws();
      return p.at == text.length() ? out : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Writes a value compactly (keys in map order). */
  public static String write(Object v) {
    StringBuilder b = new StringBuilder();
    write(v, b);
    return b.toString();
  }

  private static void write(Object v, StringBuilder b) {
    if (v == null) {
      b.append("null");
    } else if (v instanceof String str) {
      quote(str, b);
    } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long) {
      b.append(v);
    } else if (v instanceof Number n) {
      double d = n.doubleValue();
      if (n instanceof BigInteger || n instanceof BigDecimal) {
        b.append(n);
      } else if (Double.isFinite(d)) {
        b.append(d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : n.toString());
      } else {
        throw new IllegalArgumentException("JSON has no " + d);
      }
    } else if (v instanceof Map<?, ?> m) {
      b.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!first) {
          b.append(',');
        }
        first = false;
        quote(String.valueOf(e.getKey()), b);
        b.append(':');
        write(e.getValue(), b);
      }
      b.append('}');
    } else if (v instanceof List<?> l) {
      b.append('[');
      for (int i = 0; i < l.size(); i++) {
        if (i > 0) {
          b.append(',');
        }
        write(l.get(i), b);
      }
      b.append(']');
    } else {
      throw new IllegalArgumentException("cannot write a " + v.getClass().getSimpleName());
    }
  }

  private static void quote(String str, StringBuilder b) {
    b.append('"');
    for (int i = 0; i < str.length(); i++) {
      char c = str.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '\b' -> b.append("\\b");
        case '\f' -> b.append("\\f");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException("not JSON at " + at + ": " + what);
  }

  private int peek() {
    return at < s.length() ? s.charAt(at) : -1;
  }

  private void expect(char c) {
    if (peek() != c) {
      throw error("expected '" + c + "'");
    }
    at++;
  }

  private void ws() {
    while (at < s.length() && " \t\n\r".indexOf(s.charAt(at)) >= 0) {
      at++;
    }
  }

  private Object value() {
    ws();
    int c = peek();
    switch (c) {
      case '{' -> {
        at++;
        Map<String, Object> m = new LinkedHashMap<>();
        ws();
        if (peek() == '}') {
          at++;
          return m;
        }
        while (true) {
          ws();
          String k = string();
          ws();
          expect(':');
          m.put(k, value());
          ws();
          if (peek() == ',') {
            at++;
          } else {
            expect('}');
            return m;
          }
        }
      }
      case '[' -> {
        at++;
        List<Object> l = new ArrayList<>();
        ws();
        if (peek() == ']') {
          at++;
          return l;
        }
        while (true) {
          l.add(value());
          ws();
          if (peek() == ',') {
            at++;
          } else {
            expect(']');
            return l;
          }
        }
      }
      case '"' -> {
        return string();
      }
      default -> {
        if (s.startsWith("true", at)) {
          at += 4;
          return Boolean.TRUE;
        }
        if (s.startsWith("false", at)) {
          at += 5;
          return Boolean.FALSE;
        }
        if (s.startsWith("null", at)) {
          at += 4;
          return null;
        }
        return number();
      }
    }
  }

  private Number number() {
    int start = at;
    if (peek() == '-') {
      at++;
    }
    if (peek() == '0') {
      at++;
    } else if (peek() >= '1' && peek() <= '9') {
      digits();
    } else {
      throw error("a value");
    }
    boolean integral = true;
    if (peek() == '.') {
      at++;
      integral = false;
      if (!(peek() >= '0' && peek() <= '9')) {
        throw error("digits after '.'");
      }
      digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      at++;
      integral = false;
      if (peek() == '+' || peek() == '-') {
        at++;
      }
      if (!(peek() >= '0' && peek() <= '9')) {
        throw error("exponent digits");
      }
      digits();
    }
    String t = s.substring(start, at);
    if (integral) {
      BigInteger big = new BigInteger(t);
      return big.bitLength() < 64 ? (Number) big.longValue() : big;
    }
    return new BigDecimal(t);
  }

  private void digits() {
    while (peek() >= '0' && peek() <= '9') {
      at++;
    }
  }

  private String string() {
    expect('"');
    StringBuilder b = new StringBuilder();
    while (true) {
      if (at >= s.length()) {
        throw error("an unterminated string");
      }
      char c = s.charAt(at++);
      if (c == '"') {
        return b.toString();
      }
      if (c < 0x20) {
        throw error("a control character in a string");
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      if (at >= s.length()) {
        throw error("an unterminated escape");
      }
      char e = s.charAt(at++);
      switch (e) {
        case '"', '\\', '/' -> b.append(e);
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case 'n' -> b.append('\n');
        case 'r' -> b.append('\r');
        case 't' -> b.append('\t');
        case 'u' -> {
          if (at + 4 > s.length()) {
            throw error("a short \\u escape");
          }
          try {
            b.append((char) Integer.parseInt(s.substring(at, at + 4), 16));
          } catch (NumberFormatException x) {
            throw error("a bad \\u escape");
          }
          at += 4;
        }
        default -> throw error("a bad escape");
      }
    }
  }
}
