package io.maaskit.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.maaskit.model.engine.Safetensors;
import io.maaskit.model.engine.Safetensors.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Writes tiny random RoBERTa, XLM-RoBERTa and DistilBERT checkpoints as Hugging Face saves them
 * ({@code config.json}, {@code model.safetensors} under the family's names, {@code tokenizer.json}
 * of the family's kind), for tests: the bare base model (an embedding model, unprefixed names), a
 * {@code *ForSequenceClassification} with two labels or with one (a cross-encoder), a {@code
 * *ForTokenClassification} or a {@code *ForQuestionAnswering}.
 *
 * <ul>
 *   <li>RoBERTa: byte-level BPE (the 256-symbol byte alphabet, merges for {@link TinyBert#WORDS}
 *       with and without their leading space), {@code RobertaProcessing} ({@code <s> A </s></s> B
 *       </s>}); {@code pad_token_id} 1, so positions start at 2; one token type.
 *   <li>XLM-RoBERTa: the same network; a SentencePiece-style Unigram tokenizer (Metaspace, the
 *       words with {@code ▁} and single letters).
 *   <li>DistilBERT: {@code transformer.layer.N.attention.q_lin} etc., no token types, {@code
 *       pre_classifier}; BERT's WordPiece tokenizer ({@link TinyBert}).
 * </ul>
 */
public final class TinyEncoders {
  /** The families. */
  public enum Family {
    ROBERTA("roberta", "Roberta"),
    XLM_ROBERTA("xlm-roberta", "XLMRoberta"),
    DISTILBERT("distilbert", "DistilBert");

    /** {@code model_type}. */
    public final String modelType;

    private final String className;

    Family(String modelType, String className) {
      this.modelType = modelType;
      this.className = className;
    }
  }

  /** Which head the checkpoint has. */
  public enum Head {
    /** None: the bare base model ({@code RobertaModel}, ...), names without the prefix. */
    NONE,
    /** {@code *ForSequenceClassification} with two labels. */
    CLASSIFIER,
    /** {@code *ForSequenceClassification} with one label. */
    RERANKER,
    /**
     * {@code *ForTokenClassification}: {@code classifier} on every token ({@link
     * TinyBert#ENTITY_LABELS}).
     */
    TOKEN_CLASSIFIER,
    /** {@code *ForQuestionAnswering}: {@code qa_outputs} (start, end) on every token. */
    QUESTION_ANSWERER;

    /** The head applies to every token's final state (no pooler, no pre-classifier). */
    public boolean perToken() {
      return this == TOKEN_CLASSIFIER || this == QUESTION_ANSWERER;
    }

    /** The saved class's suffix. */
    String classSuffix() {
      return switch (this) {
        case NONE -> "Model";
        case CLASSIFIER, RERANKER -> "ForSequenceClassification";
        case TOKEN_CLASSIFIER -> "ForTokenClassification";
        case QUESTION_ANSWERER -> "ForQuestionAnswering";
      };
    }

    /** {@code id2label}: Hugging Face's default two labels for a question answerer. */
    List<String> labels() {
      return switch (this) {
        case NONE -> List.of();
        case CLASSIFIER -> List.of("negative", "positive");
        case RERANKER -> List.of("LABEL_0");
        case TOKEN_CLASSIFIER -> TinyBert.ENTITY_LABELS;
        case QUESTION_ANSWERER -> List.of("LABEL_0", "LABEL_1");
      };
    }
  }

  /** Hidden size, layers, heads, feed-forward size and position-table rows. */
  public static final int HIDDEN = TinyBert.HIDDEN,
      LAYERS = 2,
      HEADS = 4,
      INTERMEDIATE = 64,
      POSITIONS = 26;

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private TinyEncoders() {}

  /** Writes the checkpoint into {@code dir} with weights drawn from {@code seed}. */
  public static void write(Family family, Head head, Path dir, long seed) throws IOException {
    Files.createDirectories(dir);
    Map<String, Object> tokenizer =
        switch (family) {
          case ROBERTA -> bpeTokenizer();
          case XLM_ROBERTA -> unigramTokenizer();
          case DISTILBERT -> TinyBert.tokenizer(TinyBert.vocabulary());
        };
    int vocab = vocabSize(tokenizer);
    boolean distil = family == Family.DISTILBERT;
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("architectures", List.of(family.className + head.classSuffix()));
    config.put("model_type", family.modelType);
    config.put("vocab_size", vocab);
    config.put(distil ? "dim" : "hidden_size", HIDDEN);
    config.put(distil ? "n_layers" : "num_hidden_layers", LAYERS);
    config.put(distil ? "n_heads" : "num_attention_heads", HEADS);
    config.put(distil ? "hidden_dim" : "intermediate_size", INTERMEDIATE);
    config.put(distil ? "activation" : "hidden_act", "gelu");
    config.put("max_position_embeddings", POSITIONS);
    config.put("pad_token_id", distil ? 0 : 1);
    if (distil) {
      config.put("sinusoidal_pos_embds", false);
    } else {
      config.put("type_vocab_size", 1);
      config.put("layer_norm_eps", 1e-5);
      config.put("bos_token_id", 0);
      config.put("eos_token_id", 2);
    }
    if (head != Head.NONE) {
      List<String> labels = head.labels();
      Map<String, String> id2label = new LinkedHashMap<>();
      Map<String, Integer> label2id = new LinkedHashMap<>();
      for (int i = 0; i < labels.size(); i++) {
        id2label.put(Integer.toString(i), labels.get(i));
        label2id.put(labels.get(i), i);
      }
      config.put("id2label", id2label);
      config.put("label2id", label2id);
    }
    Files.write(dir.resolve("config.json"), JSON.writeValueAsBytes(config));

    Random r = new Random(seed);
    Map<String, Tensor> t = new LinkedHashMap<>();
    String p = head == Head.NONE ? "" : distil ? "distilbert." : "roberta.";
    String e = p + "embeddings.";
    TinyBert.put(t, r, e + "word_embeddings.weight", 0.5, vocab, HIDDEN);
    TinyBert.put(t, r, e + "position_embeddings.weight", 0.5, POSITIONS, HIDDEN);
    if (!distil) {
      TinyBert.put(t, r, e + "token_type_embeddings.weight", 0.5, 1, HIDDEN);
    }
    TinyBert.layerNorm(t, r, e + "LayerNorm");
    for (int i = 0; i < LAYERS; i++) {
      String[] m = layerModules(distil);
      String l = p + (distil ? "transformer.layer." : "encoder.layer.") + i + ".";
      for (int k = 0; k < 4; k++) {
        TinyBert.linear(t, r, l + m[k], HIDDEN, HIDDEN);
      }
      TinyBert.layerNorm(t, r, l + m[4]);
      TinyBert.linear(t, r, l + m[5], INTERMEDIATE, HIDDEN);
      TinyBert.linear(t, r, l + m[6], HIDDEN, INTERMEDIATE);
      TinyBert.layerNorm(t, r, l + m[7]);
    }
    if (head == Head.NONE && !distil) {
      TinyBert.linear(t, r, "pooler.dense", HIDDEN, HIDDEN); // RobertaModel keeps its pooler
    }
    int labels = head.labels().size();
    if (head.perToken()) {
      String name = head == Head.QUESTION_ANSWERER ? "qa_outputs" : "classifier";
      TinyBert.linear(t, r, name, labels, HIDDEN);
    } else if (head != Head.NONE && distil) {
      TinyBert.linear(t, r, "pre_classifier", HIDDEN, HIDDEN);
      TinyBert.linear(t, r, "classifier", labels, HIDDEN);
    } else if (head != Head.NONE) {
      TinyBert.linear(t, r, "classifier.dense", HIDDEN, HIDDEN);
      TinyBert.linear(t, r, "classifier.out_proj", labels, HIDDEN);
    }
    Safetensors.write(dir.resolve("model.safetensors"), t, Map.of("format", "pt"));
    Files.write(dir.resolve("tokenizer.json"), JSON.writeValueAsBytes(tokenizer));
  }

  /**
   * One layer's modules as Hugging Face names them (q, k, v, attention out, its norm, feed-forward
   * in and out, its norm): DistilBERT's, or BERT's (RoBERTa's), written here from the model code,
   * not read from the kit's table.
   */
  public static String[] layerModules(boolean distilbert) {
    return distilbert
        ? new String[] {
          "attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin",
          "sa_layer_norm", "ffn.lin1", "ffn.lin2", "output_layer_norm"
        }
        : new String[] {
          "attention.self.query",
          "attention.self.key",
          "attention.self.value",
          "attention.output.dense",
          "attention.output.LayerNorm",
          "intermediate.dense",
          "output.dense",
          "output.LayerNorm"
        };
  }

  @SuppressWarnings("unchecked")
  private static int vocabSize(Map<String, Object> tokenizer) {
    Object v = ((Map<String, Object>) tokenizer.get("model")).get("vocab");
    return v instanceof Map<?, ?> m ? m.size() : ((List<?>) v).size();
  }

  /** RoBERTa's and XLM-RoBERTa's specials, ids 0-3. */
  private static final List<String> SPECIALS = List.of("<s>", "<pad>", "</s>", "<unk>");

  /**
   * GPT-2's byte-to-symbol map: printable bytes stand for themselves, the others for code points
   * from 256 on.
   */
  static char[] byteSymbols() {
    char[] out = new char[256];
    int next = 256;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      out[b] = printable ? (char) b : (char) next++;
    }
    return out;
  }

  private static Map<String, Object> bpeTokenizer() {
    Map<String, Integer> vocab = new LinkedHashMap<>();
    for (String s : SPECIALS) {
      vocab.put(s, vocab.size());
    }
    for (char c : byteSymbols()) {
      vocab.putIfAbsent(String.valueOf(c), vocab.size());
    }
    String space = String.valueOf(byteSymbols()[' ']);
    Set<String> merges = new LinkedHashSet<>();
    // Each word letter by letter from its start, then the word after a space ("Ġ" + word) as
    // one last merge, so no merge of one word's spaced form outranks its letters'.
    for (String w : TinyBert.WORDS) {
      String left = w.substring(0, 1);
      for (int i = 1; i < w.length(); i++) {
        String right = w.substring(i, i + 1);
        merges.add(left + " " + right);
        left = left + right;
        vocab.putIfAbsent(left, vocab.size());
      }
    }
    for (String w : TinyBert.WORDS) {
      merges.add(space + " " + w);
      vocab.putIfAbsent(space + w, vocab.size());
    }
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("type", "BPE");
    model.put("dropout", null);
    model.put("unk_token", null);
    model.put("continuing_subword_prefix", "");
    model.put("end_of_word_suffix", "");
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    model.put("vocab", vocab);
    model.put("merges", new ArrayList<>(merges));
    Map<String, Object> byteLevel = new LinkedHashMap<>();
    byteLevel.put("type", "ByteLevel");
    byteLevel.put("add_prefix_space", false);
    byteLevel.put("trim_offsets", true);
    byteLevel.put("use_regex", true);
    Map<String, Object> post = new LinkedHashMap<>();
    post.put("type", "RobertaProcessing");
    post.put("sep", List.of("</s>", 2));
    post.put("cls", List.of("<s>", 0));
    post.put("trim_offsets", true);
    post.put("add_prefix_space", false);
    return tokenizerJson(null, byteLevel, post, byteLevel, model);
  }

  private static Map<String, Object> unigramTokenizer() {
    List<List<Object>> vocab = new ArrayList<>();
    for (String s : SPECIALS) {
      vocab.add(List.of(s, 0.0));
    }
    for (String w : TinyBert.WORDS) {
      vocab.add(List.of("\u2581" + w, -2.0));
    }
    vocab.add(List.of("\u2581", -3.0));
    for (char c = 'a'; c <= 'z'; c++) {
      vocab.add(List.of(String.valueOf(c), -5.0));
      vocab.add(List.of(String.valueOf(Character.toUpperCase(c)), -6.0));
    }
    for (String w : TinyBert.WORDS) {
      if (w.length() == 1) {
        vocab.add(List.of(w, -5.0)); // punctuation after a word, without ▁
      }
    }
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("type", "Unigram");
    model.put("unk_id", 3);
    model.put("vocab", vocab);
    model.put("byte_fallback", false);
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("type", "Metaspace");
    meta.put("replacement", "\u2581");
    meta.put("prepend_scheme", "always");
    meta.put("split", true);
    Map<String, Object> post = new LinkedHashMap<>();
    post.put("type", "TemplateProcessing");
    post.put(
        "single",
        List.of(
            piece("SpecialToken", "<s>"), piece("Sequence", "A"), piece("SpecialToken", "</s>")));
    post.put(
        "pair",
        List.of(
            piece("SpecialToken", "<s>"),
            piece("Sequence", "A"),
            piece("SpecialToken", "</s>"),
            piece("SpecialToken", "</s>"),
            piece("Sequence", "B"),
            piece("SpecialToken", "</s>")));
    post.put(
        "special_tokens",
        Map.of(
            "<s>", Map.of("id", "<s>", "ids", List.of(0), "tokens", List.of("<s>")),
            "</s>", Map.of("id", "</s>", "ids", List.of(2), "tokens", List.of("</s>"))));
    return tokenizerJson(null, meta, post, meta, model);
  }

  private static Map<String, Object> piece(String kind, String id) {
    return Map.of(kind, Map.of("id", id, "type_id", 0));
  }

  private static Map<String, Object> tokenizerJson(
      Object normalizer,
      Map<String, Object> preTokenizer,
      Map<String, Object> post,
      Map<String, Object> decoder,
      Map<String, Object> model) {
    List<Object> added = new ArrayList<>();
    for (int i = 0; i < SPECIALS.size(); i++) {
      added.add(TinyBert.special(SPECIALS.get(i), i));
    }
    Map<String, Object> tok = new LinkedHashMap<>();
    tok.put("version", "1.0");
    tok.put("truncation", null);
    tok.put("padding", null);
    tok.put("added_tokens", added);
    tok.put("normalizer", normalizer);
    tok.put("pre_tokenizer", preTokenizer);
    tok.put("post_processor", post);
    tok.put("decoder", decoder);
    tok.put("model", model);
    return tok;
  }
}
