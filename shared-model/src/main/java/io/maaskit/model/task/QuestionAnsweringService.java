package io.maaskit.model.task;

import io.maaskit.model.arch.TokenLogits;
import io.maaskit.model.arch.Tokens;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.error.PayloadTooLargeException;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.task.internal.SpanSelection;
import io.maaskit.model.task.internal.TokenWindows;
import java.util.ArrayList;
import java.util.List;

/**
 * Extractive question answering (capability {@code question-answerer}): the question is paired with
 * overlapping windows of the context ({@code [CLS] question [SEP] context window [SEP]}, so no
 * answer is lost at a window's edge), and the answer spans are chosen and scored as Hugging Face's
 * question-answering pipeline does ({@link SpanSelection}).
 *
 * <pre>{@code
 * QuestionAnsweringService svc = new QuestionAnsweringService(registry, "bert-squad", admission);
 * Answers a = svc.answer(
 *     new AnswerRequest(null, "Where does Ada live?", "Ada lives in Paris.", 1, 15, false, null),
 *     Cancellation.NONE);
 * }</pre>
 */
public final class QuestionAnsweringService {
  /** Hugging Face's default {@code doc_stride}. */
  static final int DOC_STRIDE = 128;

  private final ModelRegistry registry;
  private final String defaultModel;
  private final Admission admission;

  /**
   * @param defaultModel the model used when a request names none; null = a request must name one
   * @param admission the process's admission control, shared by every service
   */
  public QuestionAnsweringService(
      ModelRegistry registry, String defaultModel, Admission admission) {
    this.registry = registry;
    this.defaultModel = defaultModel;
    this.admission = admission;
  }

  /**
   * The best answers to a request's question, admitted by the process's {@link Admission} (priced
   * by the windows' tokens) and stopped between sub-batches once {@code cancellation} says the
   * caller is gone.
   */
  public Answers answer(AnswerRequest request, Cancellation cancellation) {
    if (request.question() == null || request.question().isBlank()) {
      throw new InvalidRequestException("'question' is required: a non-empty string");
    }
    if (request.context() == null || request.context().isBlank()) {
      throw new InvalidRequestException("'context' is required: the text to find the answer in");
    }
    if (request.topK() < 1) {
      throw new InvalidRequestException("'top_k' must be at least 1, got " + request.topK());
    }
    if (request.maxAnswerLength() < 1) {
      throw new InvalidRequestException(
          "'max_answer_len' must be at least 1, got " + request.maxAnswerLength());
    }
    String model = request.model() != null ? request.model() : defaultModel;
    if (model == null) {
      throw new InvalidRequestException(
          "name a question-answerer model: no default is configured"
              + " (MAAS_DEFAULT_QUESTION_ANSWERER)");
    }
    try (ModelRegistry.Lease<TokenLogits> lease =
        registry.lease(ModelId.parse(model), Capability.QUESTION_ANSWERER, TokenLogits.class)) {
      TokenLogits m = lease.model();
      long maxChars = (long) m.maxLength() * TokenClassificationService.CHARS_PER_TOKEN;
      if (request.question().length() + request.context().length() > maxChars) {
        throw new PayloadTooLargeException(
            "the question and context have "
                + (request.question().length() + request.context().length())
                + " characters; at most "
                + maxChars
                + " are allowed for this model");
      }
      TokenLogits.Pieces q = m.pieces(request.question());
      TokenLogits.Pieces c = m.pieces(request.context());
      if (q.length() == 0 || c.length() == 0) {
        throw new InvalidRequestException(
            "the " + (q.length() == 0 ? "question" : "context") + " has no text the model reads");
      }
      int room = m.maxLength() - q.length() - 3;
      if (room < 2) {
        throw new PayloadTooLargeException(
            "the question has "
                + q.length()
                + " tokens and leaves no room for the context in the model's "
                + m.maxLength()
                + "; ask a shorter question");
      }
      int stride =
          request.docStride() != null
              ? request.docStride()
              : Math.min(Math.min(DOC_STRIDE, m.maxLength() / 2), room / 2);
      if (stride < 0 || stride >= room) {
        throw new InvalidRequestException(
            "'doc_stride' must be at least 0 and below "
                + room
                + " (the context tokens of one window beside this question), got "
                + stride);
      }
      List<int[]> ranges = TokenWindows.of(c.length(), room, stride);
      List<Tokens> windows = new ArrayList<>(ranges.size());
      int offset = q.length() + 2;
      for (int[] r : ranges) {
        int n = offset + (r[1] - r[0]) + 1;
        long[] ids = new long[n];
        long[] types = new long[n];
        ids[0] = m.clsId();
        System.arraycopy(q.ids(), 0, ids, 1, q.length());
        ids[offset - 1] = m.sepId();
        System.arraycopy(c.ids(), r[0], ids, offset, r[1] - r[0]);
        ids[n - 1] = m.sepId();
        java.util.Arrays.fill(types, offset, n, 1L);
        windows.add(new Tokens(ids, types));
      }
      long work = windows.stream().mapToLong(Tokens::length).sum();
      TokenWindows.Logits logits;
      try (Admission.Ticket ticket = admission.enter(work, cancellation)) {
        logits = TokenWindows.run(m, windows, ticket, admission.options().maxRequestTokens());
      }
      List<SpanSelection.Window> spans = new ArrayList<>(windows.size());
      for (int w = 0; w < windows.size(); w++) {
        float[][] rows = logits.windows()[w];
        int n = rows.length;
        float[] start = new float[n];
        float[] end = new float[n];
        boolean[] context = new boolean[n];
        int[] from = new int[n];
        int[] to = new int[n];
        int[] word = new int[n];
        for (int t = 0; t < n; t++) {
          start[t] = rows[t][0];
          end[t] = rows[t][1];
          int k = ranges.get(w)[0] + t - offset;
          if (t >= offset && t < n - 1) {
            context[t] = true;
            from[t] = c.starts()[k];
            to[t] = c.ends()[k];
            word[t] = c.words()[k];
          }
        }
        spans.add(new SpanSelection.Window(start, end, context, from, to, word));
      }
      return new Answers(
          model,
          SpanSelection.select(
              spans,
              request.context(),
              request.topK(),
              request.maxAnswerLength(),
              request.handleImpossible()),
          logits.tokens());
    }
  }

  /** The model used when a request names none; null when a request must name one. */
  public String defaultModel() {
    return defaultModel;
  }
}
