package io.maaskit.model.task.internal.constraint;

import io.maaskit.model.arch.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The tokenizer's vocabulary as a byte trie over each token's real bytes (byte-level BPE and
 * byte-fallback tokens decoded), special tokens left out: one walk from a machine state visits
 * every shared prefix once.
 */
final class VocabularyTrie {
  /** Children of node n: {@code childBytes/childNodes[firstChild[n] .. firstChild[n+1])}. */
  final int[] firstChild;

  final byte[] childBytes;
  final int[] childNodes;

  /** Tokens ending at node n: {@code tokens[firstToken[n] .. firstToken[n+1])}. */
  final int[] firstToken;

  final int[] tokens;
  final byte[][] bytes;
  final int size;

  private VocabularyTrie(
      int[] firstChild,
      byte[] childBytes,
      int[] childNodes,
      int[] firstToken,
      int[] tokens,
      byte[][] bytes,
      int size) {
    this.firstChild = firstChild;
    this.childBytes = childBytes;
    this.childNodes = childNodes;
    this.firstToken = firstToken;
    this.tokens = tokens;
    this.bytes = bytes;
    this.size = size;
  }

  /** The bytes of token {@code id} ({@code null} for special or empty tokens). */
  byte[] bytes(int id) {
    return id >= 0 && id < bytes.length ? bytes[id] : null;
  }

  static VocabularyTrie of(TextTokenizer tokenizer, int vocabSize) {
    byte[][] bytes = new byte[vocabSize][];
    for (int id = 0; id < vocabSize; id++) {
      if (!tokenizer.isSpecial(id)) {
        byte[] b = tokenizer.tokenBytes(id);
        if (b.length > 0) {
          bytes[id] = b;
        }
      }
    }
    // Build with growable per-node lists, then flatten.
    List<int[]> kids = new ArrayList<>(); // per node: pairs (byte, child) packed
    List<int[]> ends = new ArrayList<>();
    int[] kidCount = new int[16];
    int[] endCount = new int[16];
    kids.add(new int[4]);
    ends.add(new int[2]);
    int nodes = 1;
    for (int id = 0; id < vocabSize; id++) {
      byte[] b = bytes[id];
      if (b == null) {
        continue;
      }
      int n = 0;
      for (byte x : b) {
        int v = x & 0xFF;
        int[] k = kids.get(n);
        int child = -1;
        for (int i = 0; i < kidCount[n]; i++) {
          if (k[2 * i] == v) {
            child = k[2 * i + 1];
            break;
          }
        }
        if (child < 0) {
          child = nodes++;
          kids.add(new int[4]);
          ends.add(new int[2]);
          if (nodes > kidCount.length) {
            kidCount = Arrays.copyOf(kidCount, nodes * 2);
            endCount = Arrays.copyOf(endCount, nodes * 2);
          }
          if (2 * kidCount[n] + 2 > k.length) {
            k = Arrays.copyOf(k, k.length * 2);
            kids.set(n, k);
          }
          k[2 * kidCount[n]] = v;
          k[2 * kidCount[n] + 1] = child;
          kidCount[n]++;
        }
        n = child;
      }
      int[] e = ends.get(n);
      if (endCount[n] == e.length) {
        e = Arrays.copyOf(e, e.length * 2);
        ends.set(n, e);
      }
      e[endCount[n]++] = id;
    }
    int[] firstChild = new int[nodes + 1];
    int[] firstToken = new int[nodes + 1];
    for (int n = 0; n < nodes; n++) {
      firstChild[n + 1] = firstChild[n] + kidCount[n];
      firstToken[n + 1] = firstToken[n] + endCount[n];
    }
    byte[] childBytes = new byte[firstChild[nodes]];
    int[] childNodes = new int[firstChild[nodes]];
    int[] tokens = new int[firstToken[nodes]];
    for (int n = 0; n < nodes; n++) {
      int[] k = kids.get(n);
      for (int i = 0; i < kidCount[n]; i++) {
        childBytes[firstChild[n] + i] = (byte) k[2 * i];
        childNodes[firstChild[n] + i] = k[2 * i + 1];
      }
      System.arraycopy(ends.get(n), 0, tokens, firstToken[n], endCount[n]);
    }
    return new VocabularyTrie(
        firstChild, childBytes, childNodes, firstToken, tokens, bytes, vocabSize);
  }
}
