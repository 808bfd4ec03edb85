package io.maaskit.model.task.internal.constraint;

import io.maaskit.model.arch.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Grammar} over one tokenizer's vocabulary: for a machine state, which tokens may come
 * next and how many bytes the shortest completion needs after each. Computed by one walk of the
 * {@link VocabularyTrie} from the state (a token's prefix that the grammar refuses prunes every
 * token below it) and memoized per state, so a decode step in a state seen before costs a lookup.
 * Built once per (tokenizer, grammar) and shared by every sequence; thread-safe.
 *
 * <pre>{@code
 * TokenAutomaton a = TokenAutomaton.of(tokenizer, vocabSize, Grammars.jsonObject());
 * TokenConstraint c = a.newConstraint();
 * float[] masked = c.mask(logits, remainingTokens, eosIds);
 * }</pre>
 */
public final class TokenAutomaton {
  /**
   * Token ids memoized over every automaton (about 128 MB) above which the automaton that crosses
   * it clears its memo.
   */
  static final long MEMO_INTS = 32L << 20;

  private static final AtomicLong MEMOIZED = new AtomicLong();

  private static final Map<TextTokenizer, VocabularyTrie> TRIES =
      java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

  final Grammar grammar;
  final VocabularyTrie trie;
  private final Map<Machine.State, Step> memo = new ConcurrentHashMap<>();
  private final AtomicLong memoInts = new AtomicLong();

  /**
   * The tokens allowed in one state, cheapest completion first: {@code ids[starts[k] ..
   * starts[k+1])} leave a shortest completion of {@code costs[k]} bytes.
   */
  record Step(int[] ids, int[] costs, int[] starts) {}

  private TokenAutomaton(Grammar grammar, VocabularyTrie trie) {
    this.grammar = grammar;
    this.trie = trie;
  }

  /** An automaton for {@code grammar} over {@code tokenizer} (its trie is built once). */
  public static TokenAutomaton of(TextTokenizer tokenizer, int vocabSize, Grammar grammar) {
    VocabularyTrie trie;
    synchronized (TRIES) {
      trie = TRIES.get(tokenizer);
      if (trie == null || trie.size != vocabSize) {
        trie = VocabularyTrie.of(tokenizer, vocabSize);
        TRIES.put(tokenizer, trie);
      }
    }
    return new TokenAutomaton(grammar, trie);
  }

  /** Fresh per-sequence state at the start of the output. */
  public TokenConstraint newConstraint() {
    return new TokenConstraint(this, Machine.State.start(grammar));
  }

  /** States memoized now (for the benchmark and tests). */
  public int memoizedStates() {
    return memo.size();
  }

  Step step(Machine.State s) {
    Step step = memo.get(s);
    if (step != null) {
      return step;
    }
    step = walk(s);
    int size = step.ids.length + 2 * step.costs.length;
    memoInts.addAndGet(size);
    if (MEMOIZED.addAndGet(size) > MEMO_INTS) {
      MEMOIZED.addAndGet(-memoInts.getAndSet(size) + size);
      memo.clear();
    }
    memo.put(s, step);
    return step;
  }

  private Step walk(Machine.State start) {
    int[] ids = new int[256];
    int[] costs = new int[256];
    int n = 0;
    // Iterative depth-first walk: (trie node, state) pairs.
    ArrayList<Object[]> todo = new ArrayList<>();
    todo.add(new Object[] {0, start});
    while (!todo.isEmpty()) {
      Object[] top = todo.remove(todo.size() - 1);
      int node = (Integer) top[0];
      Machine.State state = (Machine.State) top[1];
      for (int c = trie.firstChild[node]; c < trie.firstChild[node + 1]; c++) {
        Machine.State next = state.feed(trie.childBytes[c] & 0xFF);
        if (next == null) {
          continue;
        }
        int child = trie.childNodes[c];
        for (int t = trie.firstToken[child]; t < trie.firstToken[child + 1]; t++) {
          if (n == ids.length) {
            ids = Arrays.copyOf(ids, n * 2);
            costs = Arrays.copyOf(costs, n * 2);
          }
          ids[n] = trie.tokens[t];
          costs[n] = next.min;
          n++;
        }
        if (trie.firstChild[child] < trie.firstChild[child + 1]) {
          todo.add(new Object[] {child, next});
        }
      }
    }
    // Counting sort by cost: few distinct costs, many tokens.
    int[] order = new int[n];
    int distinct = 0;
    int[] byCost = costs.clone();
    Arrays.sort(byCost, 0, n);
    int[] values = new int[n];
    for (int i = 0; i < n; i++) {
      if (i == 0 || byCost[i] != byCost[i - 1]) {
        values[distinct++] = byCost[i];
      }
    }
    int[] starts = new int[distinct + 1];
    for (int i = 0; i < n; i++) {
      starts[Arrays.binarySearch(values, 0, distinct, costs[i]) + 1]++;
    }
    for (int k = 0; k < distinct; k++) {
      starts[k + 1] += starts[k];
    }
    int[] fill = Arrays.copyOf(starts, distinct);
    for (int i = 0; i < n; i++) {
      order[fill[Arrays.binarySearch(values, 0, distinct, costs[i])]++] = ids[i];
    }
    return new Step(order, Arrays.copyOf(values, distinct), starts);
  }

  /** The state after the bytes of token {@code id}, or null when the grammar refuses them. */
  Machine.State advance(Machine.State s, int id) {
    byte[] b = trie.bytes(id);
    if (b == null) {
      return null;
    }
    Machine.State at = s;
    for (byte x : b) {
      at = at.feed(x & 0xFF);
      if (at == null) {
        return null;
      }
    }
    return at;
  }
}
