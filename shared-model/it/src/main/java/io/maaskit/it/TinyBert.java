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
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Writes a tiny random BERT cross-encoder as Hugging Face saves {@code
 * BertForSequenceClassification} with {@code num_labels: 1} ({@code config.json}, {@code
 * model.safetensors} with {@code bert.}-prefixed encoder and pooler and an unprefixed {@code
 * classifier}, a WordPiece {@code tokenizer.json} with BERT's pair template), for tests: no
 * pretrained cross-encoder is reachable from the build.
 *
 * <p>The vocabulary: the five BERT special tokens (ids 0-4), {@link #WORDS} (ids from 5 in order),
 * then the 26 letters and their 26 {@code ##} continuations, so any lowercase ASCII word tokenizes
 * (a word not in {@link #WORDS} becomes one token per letter: "a" is the letter).
 */
public final class TinyBert {
  /** Whole words of the vocabulary, ids 5, 6, … in this order. */
  public static final List<String> WORDS =
      List.of(
          "what", "is", "cat", "dog", "the", "sat", "on", "mat", "runs", "in", "park", "how", "to",
          "cook", "rice", "boil", "water", "pan", "?", ".", ",");

  /** Hidden size, layers, heads, feed-forward size, positions of the checkpoint. */
  public static final int HIDDEN = 32, LAYERS = 2, HEADS = 4, INTERMEDIATE = 64, POSITIONS = 24;

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private TinyBert() {}

  /** The vocabulary in id order. */
  public static List<String> vocabulary() {
    List<String> v = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
    v.addAll(WORDS);
    for (char c = 'a'; c <= 'z'; c++) {
      v.add(String.valueOf(c));
    }
    for (char c = 'a'; c <= 'z'; c++) {
      v.add("##" + c);
    }
    return v;
  }

  /** Writes the checkpoint into {@code dir} with weights drawn from {@code seed}. */
  public static void writeCrossEncoder(Path dir, long seed) throws IOException {
    write(dir, seed, "BertForSequenceClassification", List.of("LABEL_0"), "classifier", 1, true);
  }

  /** The entity labels of {@link #writeTokenClassifier}, in id order (CoNLL's BIO scheme). */
  public static final List<String> ENTITY_LABELS =
      List.of("O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG");

  /**
   * Writes a tiny random {@code BertForTokenClassification} ({@link #ENTITY_LABELS}, no pooler, as
   * Hugging Face saves it) into {@code dir}.
   */
  public static void writeTokenClassifier(Path dir, long seed) throws IOException {
    write(
        dir,
        seed,
        "BertForTokenClassification",
        ENTITY_LABELS,
        "classifier",
        ENTITY_LABELS.size(),
        false);
  }

  /**
   * Writes a tiny random {@code BertForQuestionAnswering} ({@code qa_outputs}: start and end
   * logits, no pooler; Hugging Face's default two labels in {@code config.json}) into {@code dir}.
   */
  public static void writeQuestionAnswerer(Path dir, long seed) throws IOException {
    write(
        dir,
        seed,
        "BertForQuestionAnswering",
        List.of("LABEL_0", "LABEL_1"),
        "qa_outputs",
        2,
        false);
  }

  private static void write(
      Path dir,
      long seed,
      String architecture,
      List<String> labels,
      String head,
      int headRows,
      boolean pooler)
      throws IOException {
    Files.createDirectories(dir);
    List<String> vocab = vocabulary();
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("architectures", List.of(architecture));
    config.put("model_type", "bert");
    config.put("vocab_size", vocab.size());
    config.put("hidden_size", HIDDEN);
    config.put("num_hidden_layers", LAYERS);
    config.put("num_attention_heads", HEADS);
    config.put("intermediate_size", INTERMEDIATE);
    config.put("hidden_act", "gelu");
    config.put("max_position_embeddings", POSITIONS);
    config.put("type_vocab_size", 2);
    config.put("layer_norm_eps", 1e-12);
    Map<String, String> id2label = new LinkedHashMap<>();
    Map<String, Integer> label2id = new LinkedHashMap<>();
    for (int i = 0; i < labels.size(); i++) {
      id2label.put(Integer.toString(i), labels.get(i));
      label2id.put(labels.get(i), i);
    }
    config.put("id2label", id2label);
    config.put("label2id", label2id);
    Files.write(dir.resolve("config.json"), JSON.writeValueAsBytes(config));

    Random r = new Random(seed);
    Map<String, Tensor> t = new LinkedHashMap<>();
    String e = "bert.embeddings.";
    put(t, r, e + "word_embeddings.weight", 0.5, vocab.size(), HIDDEN);
    put(t, r, e + "position_embeddings.weight", 0.5, POSITIONS, HIDDEN);
    put(t, r, e + "token_type_embeddings.weight", 0.5, 2, HIDDEN);
    layerNorm(t, r, e + "LayerNorm");
    for (int i = 0; i < LAYERS; i++) {
      String p = "bert.encoder.layer." + i + ".";
      linear(t, r, p + "attention.self.query", HIDDEN, HIDDEN);
      linear(t, r, p + "attention.self.key", HIDDEN, HIDDEN);
      linear(t, r, p + "attention.self.value", HIDDEN, HIDDEN);
      linear(t, r, p + "attention.output.dense", HIDDEN, HIDDEN);
      layerNorm(t, r, p + "attention.output.LayerNorm");
      linear(t, r, p + "intermediate.dense", INTERMEDIATE, HIDDEN);
      linear(t, r, p + "output.dense", HIDDEN, INTERMEDIATE);
      layerNorm(t, r, p + "output.LayerNorm");
    }
    if (pooler) {
      linear(t, r, "bert.pooler.dense", HIDDEN, HIDDEN);
    }
    linear(t, r, head, headRows, HIDDEN);
    Safetensors.write(dir.resolve("model.safetensors"), t, Map.of("format", "pt"));
    Files.write(dir.resolve("tokenizer.json"), JSON.writeValueAsBytes(tokenizer(vocab)));
  }

  static void linear(Map<String, Tensor> t, Random r, String name, int out, int in) {
    put(t, r, name + ".weight", 1.0 / Math.sqrt(in), out, in);
    put(t, r, name + ".bias", 0.1, out);
  }

  static void layerNorm(Map<String, Tensor> t, Random r, String name) {
    float[] gamma = new float[HIDDEN];
    float[] beta = new float[HIDDEN];
    for (int i = 0; i < HIDDEN; i++) {
      gamma[i] = (float) (1 + 0.1 * r.nextGaussian());
      beta[i] = (float) (0.1 * r.nextGaussian());
    }
    t.put(name + ".weight", Tensor.ofFloats(gamma, HIDDEN));
    t.put(name + ".bias", Tensor.ofFloats(beta, HIDDEN));
  }

  static void put(Map<String, Tensor> t, Random r, String name, double std, long... shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    float[] v = new float[(int) n];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (std * r.nextGaussian());
    }
    t.put(name, Tensor.ofFloats(v, shape));
  }

  static Map<String, Object> special(String token, int id) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", id);
    m.put("content", token);
    m.put("single_word", false);
    m.put("lstrip", false);
    m.put("rstrip", false);
    m.put("normalized", false);
    m.put("special", true);
    return m;
  }

  private static Map<String, Object> piece(String kind, String id, int typeId) {
    return Map.of(kind, Map.of("id", id, "type_id", typeId));
  }

  /**
   * BERT's tokenizer.json: BertNormalizer (lowercase), BertPreTokenizer, WordPiece, pair template.
   */
  static Map<String, Object> tokenizer(List<String> vocab) {
    Map<String, Integer> ids = new LinkedHashMap<>();
    for (int i = 0; i < vocab.size(); i++) {
      ids.put(vocab.get(i), i);
    }
    List<Object> added = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      added.add(special(vocab.get(i), i));
    }
    Map<String, Object> post = new LinkedHashMap<>();
    post.put("type", "TemplateProcessing");
    post.put(
        "single",
        List.of(
            piece("SpecialToken", "[CLS]", 0),
            piece("Sequence", "A", 0),
            piece("SpecialToken", "[SEP]", 0)));
    post.put(
        "pair",
        List.of(
            piece("SpecialToken", "[CLS]", 0),
            piece("Sequence", "A", 0),
            piece("SpecialToken", "[SEP]", 0),
            piece("Sequence", "B", 1),
            piece("SpecialToken", "[SEP]", 1)));
    post.put(
        "special_tokens",
        Map.of(
            "[CLS]", Map.of("id", "[CLS]", "ids", List.of(2), "tokens", List.of("[CLS]")),
            "[SEP]", Map.of("id", "[SEP]", "ids", List.of(3), "tokens", List.of("[SEP]"))));
    Map<String, Object> normalizer = new LinkedHashMap<>();
    normalizer.put("type", "BertNormalizer");
    normalizer.put("clean_text", true);
    normalizer.put("handle_chinese_chars", true);
    normalizer.put("strip_accents", null);
    normalizer.put("lowercase", true);
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("type", "WordPiece");
    model.put("unk_token", "[UNK]");
    model.put("continuing_subword_prefix", "##");
    model.put("max_input_chars_per_word", 100);
    model.put("vocab", ids);
    Map<String, Object> tok = new LinkedHashMap<>();
    tok.put("version", "1.0");
    tok.put("truncation", null);
    tok.put("padding", null);
    tok.put("added_tokens", added);
    tok.put("normalizer", normalizer);
    tok.put("pre_tokenizer", Map.of("type", "BertPreTokenizer"));
    tok.put("post_processor", post);
    tok.put("decoder", Map.of("type", "WordPiece", "prefix", "##", "cleanup", true));
    tok.put("model", model);
    return tok;
  }
}
