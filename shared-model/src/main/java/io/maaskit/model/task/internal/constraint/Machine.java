package io.maaskit.model.task.internal.constraint;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A byte-level pushdown machine over a {@link Grammar}. A {@link State} is the set of stacks the
 * bytes so far may have led to (more than one where {@code anyOf}, an enum or an optional property
 * leaves a choice open); each stack is an immutable linked list of frames, so states compare by
 * value and the token automaton can memoize per state. Every reachable state can still be
 * completed, and {@link State#min} is the exact number of bytes the shortest completion takes.
 */
final class Machine {
  /** Most whitespace bytes in a row between JSON tokens. */
  static final int MAX_WHITESPACE = 12;

  /** Most digits of an integer part or a fraction (keeps numbers parseable as doubles). */
  static final int MAX_DIGITS = 16;

  private Machine() {}

  static boolean whitespace(int b) {
    return b == ' ' || b == '\n' || b == '\t' || b == '\r';
  }

  /** One frame of a stack. */
  interface Frame {
    /** Adds to {@code out} each stack that consuming {@code b} leads to. */
    void feed(int b, Stack rest, List<Stack> out);

    /** Bytes this frame still needs at least (its children's included, its parents' not). */
    int minRest();

    /** Whether the frame may end here without consuming a byte (a number's digits). */
    default boolean endable() {
      return false;
    }
  }

  /** An immutable stack of frames; {@code rest} is null below the root. */
  static final class Stack {
    final Frame top;
    final Stack rest;
    final int min;
    private final int hash;

    Stack(Frame top, Stack rest) {
      this.top = top;
      this.rest = rest;
      this.min = Grammar.add(top.minRest(), rest == null ? 0 : rest.min);
      this.hash = top.hashCode() * 31 + (rest == null ? 0 : rest.hash);
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      if (this == o) {
        return true;
      }
      if (!(o instanceof Stack s) || s.hash != hash) {
        return false;
      }
      Stack a = this;
      Stack b = s;
      while (a != null && b != null) {
        if (a == b) {
          return true;
        }
        if (!a.top.equals(b.top)) {
          return false;
        }
        a = a.rest;
        b = b.rest;
      }
      return a == b;
    }

    boolean accepting() {
      Stack s = this;
      while (s != null) {
        if (s.top instanceof RootFrame r && r.done()) {
          return true;
        }
        if (!s.top.endable()) {
          return false;
        }
        s = s.rest;
      }
      return false;
    }
  }

  /** Feeds a byte to a stack, popping frames that may end when their top cannot take it. */
  static void feed(Stack s, int b, List<Stack> out) {
    if (s.top == StrFrame.INSIDE && b >= 0x20 && b < 0x80 && b != '"' && b != '\\') {
      out.add(s); // the common case inside a string: nothing changes
      return;
    }
    while (s != null) {
      s.top.feed(b, s.rest, out);
      if (!s.top.endable()) {
        return;
      }
      s = s.rest;
    }
  }

  /** Starts a value of {@code node} above {@code below} with its first byte {@code b}. */
  static void startValue(Grammar.Node node, Stack below, int b, List<Stack> out) {
    if (node instanceof Grammar.Ref r) {
      startValue(r.target, below, b, out);
    } else if (node instanceof Grammar.AnyOf a) {
      for (Grammar.Node o : a.options) {
        startValue(o, below, b, out);
      }
    } else if (node instanceof Grammar.Obj o) {
      new ObjFrame(o, ObjFrame.OPEN, 0, 0).feed(b, below, out);
    } else if (node instanceof Grammar.Arr a) {
      new ArrFrame(a, ArrFrame.OPEN, 0).feed(b, below, out);
    } else if (node instanceof Grammar.Str) {
      StrFrame.OPENING.feed(b, below, out);
    } else if (node instanceof Grammar.Num n) {
      new NumFrame(n.integer, NumFrame.START, 0).feed(b, below, out);
    } else if (node instanceof Grammar.Lit l) {
      for (byte[] bytes : l.options) {
        new LitFrame(bytes, 0).feed(b, below, out);
      }
    }
  }

  /** The bottom frame: the grammar's sequence, element {@code index} next. */
  record RootFrame(Grammar grammar, int index, int ws) implements Frame {
    boolean done() {
      return index == grammar.sequence.size();
    }

    @Override
    public void feed(int b, Stack rest, List<Stack> out) {
      if (done()) {
        return;
      }
      if (index == 0 && grammar.leadingWhitespace && whitespace(b)) {
        if (ws < MAX_WHITESPACE) {
          out.add(new Stack(new RootFrame(grammar, 0, ws + 1), rest));
        }
        return;
      }
      startValue(
          grammar.sequence.get(index),
          new Stack(new RootFrame(grammar, index + 1, 0), rest),
          b,
          out);
    }

    @Override
    public int minRest() {
      return grammar.restOfSequence(index);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof RootFrame r && r.grammar == grammar && r.index == index && r.ws == ws;
    }

    @Override
    public int hashCode() {
      return index * 31 + ws;
    }
  }

  /** Exact bytes (a key, an enum value, a marker), {@code pos} of them matched. */
  record LitFrame(byte[] bytes, int pos) implements Frame {
    @Override
    public void feed(int b, Stack rest, List<Stack> out) {
      if ((bytes[pos] & 0xFF) != b) {
        return;
      }
      out.add(pos + 1 == bytes.length ? rest : new Stack(new LitFrame(bytes, pos + 1), rest));
    }

    @Override
    public int minRest() {
      return bytes.length - pos;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof LitFrame l && l.bytes == bytes && l.pos == pos;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(bytes) * 31 + pos;
    }
  }

  /** An object; {@code idx} is the chosen property (COLON, VALUE) or the next candidate (NEXT). */
  record ObjFrame(Grammar.Obj node, int st, int idx, int ws) implements Frame {
    static final int OPEN = 0;
    static final int FIRST = 1;
    static final int KEY = 2;
    static final int COLON = 3;
    static final int VALUE = 4;
    static final int NEXT = 5;

    @Override
    public void feed(int b, Stack rest, List<Stack> out) {
      if (st == OPEN) {
        if (b == '{') {
          out.add(new Stack(new ObjFrame(node, FIRST, 0, 0), rest));
        }
        return;
      }
      if (whitespace(b)) {
        if (ws < MAX_WHITESPACE) {
          out.add(new Stack(new ObjFrame(node, st, idx, ws + 1), rest));
        }
        return;
      }
      switch (st) {
        case FIRST, KEY -> {
          if (st == FIRST && b == '}' && (node.anyKeys || node.canClose(0))) {
            out.add(rest);
            return;
          }
          if (node.anyKeys) {
            if (b == '"') {
              out.add(new Stack(StrFrame.INSIDE, new Stack(new ObjFrame(node, COLON, 0, 0), rest)));
            }
            return;
          }
          int from = st == FIRST ? 0 : idx;
          if (from >= node.props.size()) {
            return;
          }
          for (int j = from; j <= node.lastCandidate(from); j++) {
            Grammar.Prop p = node.props.get(j);
            if ((p.key[0] & 0xFF) == b) {
              out.add(
                  new Stack(
                      new LitFrame(p.key, 1), new Stack(new ObjFrame(node, COLON, j, 0), rest)));
            }
          }
        }
        case COLON -> {
          if (b == ':') {
            out.add(new Stack(new ObjFrame(node, VALUE, idx, 0), rest));
          }
        }
        case VALUE -> {
          Grammar.Node v = node.anyKeys ? node.anyValue : node.props.get(idx).value;
          int next = node.anyKeys ? 0 : idx + 1;
          startValue(v, new Stack(new ObjFrame(node, NEXT, next, 0), rest), b, out);
        }
        case NEXT -> {
          if (b == ',' && (node.anyKeys || idx < node.props.size())) {
            out.add(new Stack(new ObjFrame(node, KEY, idx, 0), rest));
          } else if (b == '}' && (node.anyKeys || node.canClose(idx))) {
            out.add(rest);
          }
        }
        default -> {}
      }
    }

    @Override
    public int minRest() {
      if (node.anyKeys) {
        return switch (st) {
          case OPEN -> 2;
          case FIRST, NEXT -> 1;
          case KEY -> 5;
          case COLON -> 3;
          default -> 2;
        };
      }
      return switch (st) {
        case OPEN -> node.minLen;
        case FIRST -> node.canClose(0) ? 1 : node.keyFrom[0];
        case KEY -> node.keyFrom[idx];
        case COLON -> Grammar.add(2 + node.props.get(idx).value.minLen, node.restRequired[idx + 1]);
        case VALUE -> Grammar.add(1 + node.props.get(idx).value.minLen, node.restRequired[idx + 1]);
        default -> Grammar.add(1, node.restRequired[idx]);
      };
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ObjFrame f && f.node == node && f.st == st && f.idx == idx && f.ws == ws;
    }

    @Override
    public int hashCode() {
      return ((System.identityHashCode(node) * 31 + st) * 31 + idx) * 31 + ws;
    }
  }

  /** An array. */
  record ArrFrame(Grammar.Arr node, int st, int ws) implements Frame {
    static final int OPEN = 0;
    static final int FIRST = 1;
    static final int ITEM = 2;
    static final int NEXT = 3;

    @Override
    public void feed(int b, Stack rest, List<Stack> out) {
      if (st == OPEN) {
        if (b == '[') {
          out.add(new Stack(new ArrFrame(node, FIRST, 0), rest));
        }
        return;
      }
      if (whitespace(b)) {
        if (ws < MAX_WHITESPACE) {
          out.add(new Stack(new ArrFrame(node, st, ws + 1), rest));
        }
        return;
      }
      if ((st == FIRST || st == NEXT) && b == ']') {
        out.add(rest);
        return;
      }
      if (st == NEXT) {
        if (b == ',') {
          out.add(new Stack(new ArrFrame(node, ITEM, 0), rest));
        }
        return;
      }
      startValue(node.items, new Stack(new ArrFrame(node, NEXT, 0), rest), b, out);
    }

    @Override
    public int minRest() {
      return switch (st) {
        case OPEN -> 2;
        case ITEM -> Grammar.add(node.items.minLen, 1);
        default -> 1;
      };
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ArrFrame f && f.node == node && f.st == st && f.ws == ws;
    }

    @Override
    public int hashCode() {
      return (System.identityHashCode(node) * 31 + st) * 31 + ws;
    }
  }

  /**
   * A JSON string of valid UTF-8: {@code need} continuation or hex bytes still due, the next in
   * {@code lo..hi}.
   */
  record StrFrame(int st, int need, int lo, int hi) implements Frame {
    static final int OPEN = 0;
    static final int IN = 1;
    static final int ESCAPE = 2;
    static final int HEX = 3;
    static final int UTF8 = 4;
    static final StrFrame OPENING = new StrFrame(OPEN, 0, 0, 0);
    static final StrFrame INSIDE = new StrFrame(IN, 0, 0, 0);

    @Override
    public void feed(int b, Stack rest, List<Stack> out) {
      switch (st) {
        case OPEN -> {
          if (b == '"') {
            out.add(new Stack(INSIDE, rest));
          }
        }
        case IN -> {
          if (b == '"') {
            out.add(rest);
          } else if (b == '\\') {
            out.add(new Stack(new StrFrame(ESCAPE, 0, 0, 0), rest));
          } else if (b >= 0x20 && b < 0x80) {
            out.add(new Stack(INSIDE, rest));
          } else if (b >= 0xC2 && b <= 0xDF) {
            out.add(new Stack(new StrFrame(UTF8, 1, 0x80, 0xBF), rest));
          } else if (b >= 0xE0 && b <= 0xEF) {
            int lo = b == 0xE0 ? 0xA0 : 0x80;
            int hi = b == 0xED ? 0x9F : 0xBF;
            out.add(new Stack(new StrFrame(UTF8, 2, lo, hi), rest));
          } else if (b >= 0xF0 && b <= 0xF4) {
            int lo = b == 0xF0 ? 0x90 : 0x80;
            int hi = b == 0xF4 ? 0x8F : 0xBF;
            out.add(new Stack(new StrFrame(UTF8, 3, lo, hi), rest));
          }
        }
        case ESCAPE -> {
          if ("\"\\/bfnrt".indexOf(b) >= 0) {
            out.add(new Stack(INSIDE, rest));
          } else if (b == 'u') {
            out.add(new Stack(new StrFrame(HEX, 4, 0, 0), rest));
          }
        }
        case HEX -> {
          if ((b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F')) {
            out.add(new Stack(need == 1 ? INSIDE : new StrFrame(HEX, need - 1, 0, 0), rest));
          }
        }
        default -> {
          if (b >= lo && b <= hi) {
            out.add(new Stack(need == 1 ? INSIDE : new StrFrame(UTF8, need - 1, 0x80, 0xBF), rest));
          }
        }
      }
    }

    @Override
    public int minRest() {
      return switch (st) {
        case OPEN -> 2;
        case IN -> 1;
        case ESCAPE -> 2;
        default -> need + 1;
      };
    }
  }

  /** A number; {@code digits} counts the current run (integer part, fraction or exponent). */
  record NumFrame(boolean integer, int st, int digits) implements Frame {
    static final int START = 0;
    static final int MINUS = 1;
    static final int ZERO = 2;
    static final int INT = 3;
    static final int DOT = 4;
    static final int FRAC = 5;
    static final int EXP = 6;
    static final int EXP_SIGN = 7;
    static final int EXP_DIGITS = 8;

    @Override
    public void feed(int b, Stack rest, List<Stack> out) {
      boolean digit = b >= '0' && b <= '9';
      NumFrame next =
          switch (st) {
            case START, MINUS ->
                b == '-' && st == START
                    ? at(MINUS, 0)
                    : b == '0' ? at(ZERO, 1) : digit ? at(INT, 1) : null;
            case ZERO, INT ->
                digit && st == INT && digits < MAX_DIGITS
                    ? at(INT, digits + 1)
                    : b == '.' && !integer
                        ? at(DOT, 0)
                        : (b == 'e' || b == 'E') && !integer ? at(EXP, 0) : null;
            case DOT -> digit ? at(FRAC, 1) : null;
            case FRAC ->
                digit && digits < MAX_DIGITS
                    ? at(FRAC, digits + 1)
                    : b == 'e' || b == 'E' ? at(EXP, 0) : null;
            case EXP -> b == '+' || b == '-' ? at(EXP_SIGN, 0) : digit ? at(EXP_DIGITS, 1) : null;
            case EXP_SIGN -> digit ? at(EXP_DIGITS, 1) : null;
            default -> digit && digits < 2 ? at(EXP_DIGITS, digits + 1) : null;
          };
      if (next != null) {
        out.add(new Stack(next, rest));
      }
    }

    private NumFrame at(int s, int d) {
      return new NumFrame(integer, s, d);
    }

    @Override
    public int minRest() {
      return endable() ? 0 : 1;
    }

    @Override
    public boolean endable() {
      return st == ZERO || st == INT || st == FRAC || st == EXP_DIGITS;
    }
  }

  /** The set of stacks the bytes so far may have led to. */
  static final class State {
    final Set<Stack> stacks;
    final int min;
    private final int hash;

    State(Set<Stack> stacks) {
      this.stacks = stacks;
      int m = Grammar.INFINITE;
      for (Stack s : stacks) {
        m = Math.min(m, s.min);
      }
      this.min = m;
      this.hash = stacks.hashCode();
    }

    static State start(Grammar g) {
      Set<Stack> s = new HashSet<>();
      s.add(new Stack(new RootFrame(g, 0, 0), null));
      return new State(s);
    }

    /** The state after byte {@code b}, or null when no stack takes it. */
    State feed(int b) {
      List<Stack> out = new ArrayList<>(4);
      for (Stack s : stacks) {
        Machine.feed(s, b, out);
      }
      if (out.isEmpty()) {
        return null;
      }
      if (out.size() == 1) {
        Stack only = out.get(0);
        return stacks.size() == 1 && stacks.contains(only) ? this : new State(Set.of(only));
      }
      return new State(new HashSet<>(out));
    }

    /** Whether the text so far is a whole output (the end token may come). */
    boolean accepting() {
      for (Stack s : stacks) {
        if (s.accepting()) {
          return true;
        }
      }
      return false;
    }

    /** Whether nothing more may follow: the output is whole and cannot grow. */
    boolean complete() {
      for (Stack s : stacks) {
        if (!(s.top instanceof RootFrame r && r.done())) {
          return false;
        }
      }
      return true;
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof State s && s.hash == hash && s.stacks.equals(stacks);
    }
  }
}
