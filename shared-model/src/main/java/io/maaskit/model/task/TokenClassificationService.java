package io.maaskit.model.task;

import io.maaskit.model.arch.TokenLogits;
import io.maaskit.model.arch.Tokens;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.error.PayloadTooLargeException;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.task.internal.EntityAggregation;
import io.maaskit.model.task.internal.TokenWindows;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Token classification (capability {@code token-classifier}, named entities): each text is
 * tokenized whole, cut into overlapping windows of the model's length (never truncated), every
 * token labelled, and the labels turned into entities as Hugging Face's token-classification
 * pipeline does ({@link AggregationStrategy}); {@code O} is left out and offsets index the original
 * text.
 *
 * <pre>{@code
 * TokenClassificationService svc = new TokenClassificationService(registry, "bert-ner", 32, admission);
 * TokenEntities e = svc.entities(
 *     new TokenClassifyRequest(null, List.of("Ada lives in Paris"), AggregationStrategy.SIMPLE, null),
 *     Cancellation.NONE);
 * }</pre>
 */
public final class TokenClassificationService {
  /** Characters per allowed token a text may have: bounds the work of tokenizing it whole. */
  static final int CHARS_PER_TOKEN = 200;

  private static final Set<String> IGNORE = Set.of("O");

  private final ModelRegistry registry;
  private final String defaultModel;
  private final int maxInputs;
  private final Admission admission;

  /**
   * @param defaultModel the model used when a request names none; null = a request must name one
   * @param maxInputs most texts per request
   * @param admission the process's admission control, shared by every service
   */
  public TokenClassificationService(
      ModelRegistry registry, String defaultModel, int maxInputs, Admission admission) {
    this.registry = registry;
    this.defaultModel = defaultModel;
    this.maxInputs = maxInputs;
    this.admission = admission;
  }

  /**
   * Whether {@code model} (loaded if need be) is a token classifier: how {@code /predict} routes.
   */
  public boolean serves(String model) {
    return model != null
        && registry
            .manifest(ModelId.parse(model))
            .capabilities()
            .contains(Capability.TOKEN_CLASSIFIER);
  }

  /**
   * The entities of a request's texts, admitted by the process's {@link Admission} (priced by the
   * windows' tokens) and stopped between sub-batches once {@code cancellation} says the caller is
   * gone.
   */
  public TokenEntities entities(TokenClassifyRequest request, Cancellation cancellation) {
    List<String> texts = Requests.inputs(request.inputs(), maxInputs);
    String model = request.model() != null ? request.model() : defaultModel;
    if (model == null) {
      throw new InvalidRequestException(
          "name a token-classifier model: no default is configured (MAAS_DEFAULT_TOKEN_CLASSIFIER)");
    }
    try (ModelRegistry.Lease<TokenLogits> lease =
        registry.lease(ModelId.parse(model), Capability.TOKEN_CLASSIFIER, TokenLogits.class)) {
      TokenLogits m = lease.model();
      int room = m.maxLength() - 2;
      int stride = request.stride() == null ? room / 4 : request.stride();
      if (stride < 0 || stride >= room) {
        throw new InvalidRequestException(
            "'stride' must be at least 0 and below "
                + room
                + " (the tokens of one window of this model), got "
                + stride);
      }
      List<TokenLogits.Pieces> pieces = new ArrayList<>(texts.size());
      List<Tokens> windows = new ArrayList<>();
      List<int[]> where = new ArrayList<>(); // text, from
      for (int i = 0; i < texts.size(); i++) {
        String text = texts.get(i);
        if (text.length() > (long) m.maxLength() * CHARS_PER_TOKEN) {
          throw new PayloadTooLargeException(
              "input "
                  + i
                  + " has "
                  + text.length()
                  + " characters; at most "
                  + (long) m.maxLength() * CHARS_PER_TOKEN
                  + " are allowed per text for this model");
        }
        TokenLogits.Pieces p = m.pieces(text);
        pieces.add(p);
        for (int[] w : TokenWindows.of(p.length(), room, stride)) {
          long[] ids = new long[w[1] - w[0] + 2];
          ids[0] = m.clsId();
          System.arraycopy(p.ids(), w[0], ids, 1, w[1] - w[0]);
          ids[ids.length - 1] = m.sepId();
          windows.add(new Tokens(ids, new long[ids.length]));
          where.add(new int[] {i, w[0]});
        }
      }
      long work = windows.stream().mapToLong(Tokens::length).sum();
      TokenWindows.Logits logits;
      try (Admission.Ticket ticket = admission.enter(work, cancellation)) {
        logits = TokenWindows.run(m, windows, ticket, admission.options().maxRequestTokens());
      }
      List<List<Entity>> perText = new ArrayList<>(texts.size());
      List<Integer> windowsPerText = new ArrayList<>();
      for (int i = 0; i < texts.size(); i++) {
        perText.add(new ArrayList<>());
        windowsPerText.add(0);
      }
      for (int w = 0; w < windows.size(); w++) {
        int text = where.get(w)[0];
        int from = where.get(w)[1];
        TokenLogits.Pieces p = pieces.get(text);
        float[][] rows = logits.windows()[w];
        List<EntityAggregation.Token> tokens = new ArrayList<>(rows.length - 2);
        for (int t = 1; t < rows.length - 1; t++) {
          int k = from + t - 1;
          String word =
              p.unknown()[k]
                  ? texts.get(text).substring(p.starts()[k], p.ends()[k])
                  : p.tokens()[k];
          tokens.add(
              new EntityAggregation.Token(
                  word,
                  p.starts()[k],
                  p.ends()[k],
                  t,
                  p.subword()[k],
                  EntityAggregation.softmax(rows[t])));
        }
        perText
            .get(text)
            .addAll(
                EntityAggregation.window(
                    tokens, m.labels(), request.aggregation(), IGNORE, m::tokensToString));
        windowsPerText.set(text, windowsPerText.get(text) + 1);
      }
      List<List<Entity>> out = new ArrayList<>(texts.size());
      for (int i = 0; i < texts.size(); i++) {
        out.add(
            windowsPerText.get(i) > 1
                ? EntityAggregation.mergeWindows(perText.get(i))
                : List.copyOf(perText.get(i)));
      }
      return new TokenEntities(model, out, logits.tokens());
    }
  }

  /** The model used when a request names none; null when a request must name one. */
  public String defaultModel() {
    return defaultModel;
  }

  /** Most texts per request. */
  public int maxInputs() {
    return maxInputs;
  }
}
