package io.maaskit.model.task.internal.constraint;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The nodes a JSON grammar is compiled to, and the shortest text each one allows ({@link
 * Node#minLen}): the generation loop uses those lengths to close the output before {@code
 * max_tokens} runs out. Nodes are compared by identity; one {@link Grammar} owns them all.
 */
public final class Grammar {
  static final int INFINITE = Integer.MAX_VALUE / 4;

  /** A grammar node. */
  abstract static sealed class Node permits Obj, Arr, Str, Num, Lit, AnyOf, Ref {
    int minLen = INFINITE;
  }

  /**
   * An object: declared properties in order (a skipped optional property may be left out), or any
   * string keys with any values ({@code anyKeys}, for {@code json_object}).
   */
  static final class Obj extends Node {
    final List<Prop> props;
    final boolean anyKeys;
    Node anyValue;

    /**
     * Bytes to close the object from property index i on, without a key yet begun (",k:v" each).
     */
    int[] restRequired;

    /** Bytes to finish when a key must come next, from index i (the cheapest candidate). */
    int[] keyFrom;

    Obj(List<Prop> props, boolean anyKeys) {
      this.props = props;
      this.anyKeys = anyKeys;
    }

    /**
     * The last candidate index for the next key at {@code i}: up to the first required property.
     */
    int lastCandidate(int i) {
      for (int j = i; j < props.size(); j++) {
        if (props.get(j).required) {
          return j;
        }
      }
      return props.size() - 1;
    }

    boolean canClose(int i) {
      for (int j = i; j < props.size(); j++) {
        if (props.get(j).required) {
          return false;
        }
      }
      return true;
    }
  }

  /** A property of an {@link Obj}: its name spelled as a JSON string, its value. */
  static final class Prop {
    final String name;
    final byte[] key;
    final Node value;
    final boolean required;

    Prop(String name, Node value, boolean required) {
      this.name = name;
      this.key = Literals.jsonString(name);
      this.value = value;
      this.required = required;
    }
  }

  /** An array of {@code items}. */
  static final class Arr extends Node {
    Node items;

    Arr(Node items) {
      this.items = items;
    }
  }

  /** Any JSON string. */
  static final class Str extends Node {}

  /** A JSON number, or an integer (no fraction, no exponent). */
  static final class Num extends Node {
    final boolean integer;

    Num(boolean integer) {
      this.integer = integer;
    }
  }

  /** One of a few exact byte strings ({@code enum}, {@code const}, booleans, null, markers). */
  static final class Lit extends Node {
    final List<byte[]> options;

    Lit(List<byte[]> options) {
      this.options = options;
    }

    static Lit raw(String text) {
      return new Lit(List.of(text.getBytes(StandardCharsets.UTF_8)));
    }
  }

  /** Any of several nodes. */
  static final class AnyOf extends Node {
    final List<Node> options;

    AnyOf(List<Node> options) {
      this.options = options;
    }
  }

  /** A {@code $ref}, resolved after its definitions are compiled. */
  static final class Ref extends Node {
    final String ref;
    Node target;

    Ref(String ref) {
      this.ref = ref;
    }
  }

  final List<Node> sequence;
  final boolean leadingWhitespace;
  private final int[] restOfSequence;

  /**
   * @param sequence what the output is, in order (a JSON value, or marker, call, marker)
   * @param leadingWhitespace whether whitespace may precede the first node
   * @param all every node (for the shortest-length fixpoint)
   */
  Grammar(List<Node> sequence, boolean leadingWhitespace, List<Node> all) {
    this.sequence = List.copyOf(sequence);
    this.leadingWhitespace = leadingWhitespace;
    computeMinLengths(all);
    this.restOfSequence = new int[sequence.size() + 1];
    for (int i = sequence.size() - 1; i >= 0; i--) {
      restOfSequence[i] = add(restOfSequence[i + 1], sequence.get(i).minLen);
    }
  }

  /** Shortest text from sequence element i on. */
  int restOfSequence(int i) {
    return restOfSequence[i];
  }

  /** Shortest text the whole grammar allows; {@link #INFINITE} when it allows none. */
  int minLength() {
    return restOfSequence[0];
  }

  static int add(int a, int b) {
    return Math.min(INFINITE, a + b);
  }

  /** Iterates shortest lengths to a fixpoint (recursive {@code $ref}s need it). */
  private static void computeMinLengths(List<Node> all) {
    boolean changed = true;
    for (int round = 0; changed && round < 10_000; round++) {
      changed = false;
      for (Node n : all) {
        int m = minLen(n);
        if (m < n.minLen) {
          n.minLen = m;
          changed = true;
        }
      }
    }
    for (Node n : all) {
      if (n instanceof Obj o) {
        tables(o);
      }
    }
  }

  private static int minLen(Node n) {
    if (n instanceof Obj o) {
      if (o.anyKeys) {
        return 2;
      }
      int sum = 2;
      boolean first = true;
      for (Prop p : o.props) {
        if (p.required) {
          sum = add(sum, (first ? 0 : 1) + p.key.length + 1);
          sum = add(sum, p.value.minLen);
          first = false;
        }
      }
      return sum;
    } else if (n instanceof Arr) {
      return 2;
    } else if (n instanceof Str) {
      return 2;
    } else if (n instanceof Num) {
      return 1;
    } else if (n instanceof Lit l) {
      int m = INFINITE;
      for (byte[] b : l.options) {
        m = Math.min(m, b.length);
      }
      return m;
    } else if (n instanceof AnyOf a) {
      int m = INFINITE;
      for (Node o : a.options) {
        m = Math.min(m, o.minLen);
      }
      return m;
    } else if (n instanceof Ref r) {
      return r.target == null ? INFINITE : r.target.minLen;
    }
    throw new IllegalStateException("unknown node " + n);
  }

  private static void tables(Obj o) {
    int n = o.props.size();
    o.restRequired = new int[n + 1];
    for (int i = n - 1; i >= 0; i--) {
      Prop p = o.props.get(i);
      o.restRequired[i] =
          p.required
              ? add(o.restRequired[i + 1], add(1 + p.key.length + 1, p.value.minLen))
              : o.restRequired[i + 1];
    }
    o.keyFrom = new int[n + 1];
    o.keyFrom[n] = INFINITE;
    for (int i = 0; i < n; i++) {
      int best = INFINITE;
      for (int j = i; j <= o.lastCandidate(i); j++) {
        Prop p = o.props.get(j);
        best = Math.min(best, add(add(p.key.length + 1, p.value.minLen), o.restRequired[j + 1]));
      }
      o.keyFrom[i] = add(best, 1);
    }
  }

  /** Collects nodes for a grammar as they are made. */
  static final class Nodes {
    final List<Node> all = new ArrayList<>();

    <T extends Node> T add(T n) {
      all.add(n);
      return n;
    }
  }
}
