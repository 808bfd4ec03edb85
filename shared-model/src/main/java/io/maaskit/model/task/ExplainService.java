package io.maaskit.model.task;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.maaskit.model.arch.Explainable;
import io.maaskit.model.arch.Explainable.Spans;
import io.maaskit.model.arch.ExplainableGenerator;
import io.maaskit.model.arch.SpanTokenizer;
import io.maaskit.model.arch.TextClassifier;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.arch.TextGenerator;
import io.maaskit.model.arch.Tokens;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.error.PayloadTooLargeException;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.task.Explanations.Explanation;
import io.maaskit.model.task.Explanations.TokenAttribution;
import io.maaskit.model.task.internal.Batching;
import io.maaskit.model.task.internal.GaussLegendre;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Explanations of a classifier's decisions: per input, every token's attribution toward a label
 * (the predicted one unless the request names one), with its character span in the original text.
 *
 * <ul>
 *   <li>{@link ExplainMethod#INTEGRATED_GRADIENTS}: the path integral of the gradient of the
 *       label's <em>probability</em> along the straight line from a baseline to the input, in the
 *       space of input (token) embeddings, by Gauss-Legendre quadrature with {@code steps} nodes,
 *       all nodes of one input run as one batch (cut under the activation budget). The baseline
 *       keeps the special tokens ({@code [CLS]}, {@code [SEP]}) and puts the {@code [PAD]}
 *       embedding everywhere else; position and segment embeddings are the input's. Attributions
 *       sum to p(x) - p(baseline); the remainder is reported as the completeness gap.
 *   <li>{@link ExplainMethod#GRADIENT_X_INPUT}: the gradient of the probability at the input times
 *       the input embedding, summed over the embedding; one forward and one backward pass.
 *   <li>{@link ExplainMethod#ATTENTION_ROLLOUT}: head-averaged attention with the residual (0.5 A +
 *       0.5 I, rows renormalised) multiplied through the layers; the read-out row is [CLS] for
 *       {@code cls}-pooled packages and the mean of all rows for {@code mean}-pooled ones.
 *   <li>{@link ExplainMethod#OCCLUSION}: leave one word out: per word, p(x) - p(x without the
 *       word's tokens), all variants batched through the model as it is served (the compiled graph
 *       on ONNX Runtime), so it needs no gradients and no second copy of the model; each piece of a
 *       word gets an equal share.
 * </ul>
 *
 * <p>A request names no method: Integrated Gradients where the model is served on an engine that
 * computes gradients, occlusion where it is served from its compiled graph. Every request is priced
 * before it runs, in token-passes ({@link #cost}), refused over the budget (413), admitted by the
 * process's {@link Admission} like every other request, and runs its passes in admission slots, one
 * chunk at a time, so it stops between chunks once its caller has gone.
 *
 * <pre>{@code
 * ExplainService svc = new ExplainService(registry, "minilm-spam", 16, 32);
 * Explanations e = svc.explain(new ExplainRequest(null, List.of("WIN A FREE PRIZE"),
 *     ExplainMethod.INTEGRATED_GRADIENTS, null, null, false));
 * }</pre>
 */
public final class ExplainService {
  /** Most Integrated Gradients steps a request may ask for. */
  public static final int MAX_STEPS = 512;

  /**
   * Default Integrated Gradients steps, chosen by measurement on held-out SpamAssassin mail with
   * the preset's minilm-spam (encoder fine-tuned, so its probability changes sharply along the
   * path): at 32 Gauss-Legendre nodes the relative completeness gap's 95th percentile was about 10
   * %, at 64 about 1 %, at 128 under 1 %; see the README.
   */
  public static final int DEFAULT_STEPS = 64;

  // Backward keeps every layer's intermediates: a quarter of the inference batcher's budget.
  private static final long GRAD_ACTIVATION_ELEMENTS = Batching.MAX_ACTIVATION_ELEMENTS / 4;

  /** A backward pass costs about two forward passes: one gradient step is priced as three. */
  public static final int PASSES_PER_GRADIENT = 3;

  /**
   * Default budget in token-passes ({@link #cost}): a full default request, 16 inputs of 256 tokens
   * by Integrated Gradients at {@link #DEFAULT_STEPS}, fits; 512 steps fit for one such input.
   */
  public static final long DEFAULT_MAX_COST = 16L * 256 * (PASSES_PER_GRADIENT * DEFAULT_STEPS + 3);

  private static final Admission UNLIMITED = Admission.unlimited();

  /** Tokens of a greedy completion when a request gives no completion and no {@code max_tokens}. */
  public static final int DEFAULT_COMPLETION_TOKENS = 32;

  private final ModelRegistry registry;
  private final String defaultModel;
  private final String defaultGenerator;
  private final Prompts prompts = new Prompts();
  private final int maxInputs;
  private final int defaultSteps;
  private final Admission admission;
  private final long maxCost;

  /**
   * @param defaultModel the classifier used when a request names none
   * @param maxInputs most inputs per request (each costs {@code steps} forward and backward passes)
   * @param defaultSteps Integrated Gradients steps when a request gives none
   * @param admission the process's admission control, shared by every service
   * @param maxCost most token-passes one request may cost ({@link #cost}); 0 = no limit
   */
  public ExplainService(
      ModelRegistry registry,
      String defaultModel,
      int maxInputs,
      int defaultSteps,
      Admission admission,
      long maxCost) {
    this(registry, defaultModel, null, maxInputs, defaultSteps, admission, maxCost);
  }

  /**
   * @param defaultModel the classifier used when a request names none
   * @param defaultGenerator the generator whose completions are explained when a request names none
   *     (null: such requests must name one)
   * @param maxInputs most inputs per request (each costs {@code steps} forward and backward passes)
   * @param defaultSteps Integrated Gradients steps when a request gives none
   * @param admission the process's admission control, shared by every service
   * @param maxCost most token-passes one request may cost ({@link #cost}); 0 = no limit
   */
  public ExplainService(
      ModelRegistry registry,
      String defaultModel,
      String defaultGenerator,
      int maxInputs,
      int defaultSteps,
      Admission admission,
      long maxCost) {
    if (maxCost < 0) {
      throw new IllegalArgumentException("max cost must be 0 (no limit) or more, got " + maxCost);
    }
    this.registry = registry;
    this.defaultModel = defaultModel;
    this.defaultGenerator = defaultGenerator;
    this.maxInputs = maxInputs;
    this.defaultSteps = checkSteps(defaultSteps);
    this.admission = admission;
    this.maxCost = maxCost;
  }

  /** A service without admission limits or a cost budget (tools, tests). */
  public ExplainService(
      ModelRegistry registry, String defaultModel, int maxInputs, int defaultSteps) {
    this(registry, defaultModel, maxInputs, defaultSteps, UNLIMITED, 0);
  }

  /** Explains a request's inputs. */
  public Explanations explain(ExplainRequest request) {
    return explain(request, Cancellation.NONE);
  }

  /**
   * Explains a request's inputs: priced first (413 over {@link #maxCost()}), admitted by the
   * process's {@link Admission} (503 + Retry-After at capacity), stopped between chunks of passes
   * once {@code cancellation} says the caller is gone.
   */
  public Explanations explain(ExplainRequest request, Cancellation cancellation) {
    List<String> texts = Requests.inputs(request.inputs(), maxInputs);
    int steps = checkSteps(request.steps() == null ? defaultSteps : request.steps());
    if (request.similarity()) {
      return similarity(request, texts, steps, cancellation);
    }
    String model = request.model() == null ? defaultModel : request.model();
    ExplainMethod method = request.method();
    if (method != null && method != OCCLUSION) {
      // Before any lookup or download: without an engine that computes gradients, 501 at once.
      registry.engines().requireGradients();
    }
    // The model as served tokenizes and prices the request; occlusion runs on it too.
    TextClassifier served =
        registry.get(ModelId.parse(model), Capability.CLASSIFIER, TextClassifier.class);
    if (!(served instanceof SpanTokenizer tokenizer)) {
      throw new InvalidRequestException(
          "model '" + model + "' is a classifier whose architecture offers no explanations");
    }
    if (method == null) {
      method = served instanceof Explainable ? ExplainMethod.INTEGRATED_GRADIENTS : OCCLUSION;
    }
    List<Spans> spans = new ArrayList<>(texts.size());
    for (String text : texts) {
      spans.add(tokenizer.spans(text));
    }
    checkCost(spans, method, steps);
    TextClassifier c = method == OCCLUSION ? served : (TextClassifier) classifier(registry, model);
    List<String> labels = c.labels();
    int fixed = -1;
    if (request.label() != null) {
      fixed = labels.indexOf(request.label());
      if (fixed < 0) {
        throw new InvalidRequestException(
            "'label' '"
                + request.label()
                + "' is not one of the labels of model '"
                + model
                + "': "
                + String.join(", ", labels));
      }
    }
    List<Explanation> out = new ArrayList<>(texts.size());
    int seen = 0;
    try (Admission.Ticket ticket = admission.enter(cancellation)) {
      for (int i = 0; i < texts.size(); i++) {
        Spans s = spans.get(i);
        seen += s.length();
        int label = fixed >= 0 ? fixed : argmax(predict(c, s, ticket));
        Attribution a = attribute(c, s, method, label, steps, ticket);
        List<TokenAttribution> tokens =
            request.words() ? words(texts.get(i), s, a.values()) : tokens(s, a.values());
        out.add(
            new Explanation(
                labels.get(label),
                a.score(),
                method.key(),
                tokens,
                method == ExplainMethod.INTEGRATED_GRADIENTS ? a.gap() : null));
      }
    }
    return new Explanations(model, out, seen);
  }

  private static final ExplainMethod OCCLUSION = ExplainMethod.OCCLUSION;

  /** The methods that explain generated text. */
  private static final String COMPLETION_METHODS = "integrated_gradients, occlusion";

  /** Explains a completion (tools, tests). */
  public CompletionExplanation explainCompletion(CompletionExplainRequest request) {
    return explainCompletion(request, Cancellation.NONE);
  }

  /**
   * Explains a generator's completion of a prompt: each prompt token's contribution to the
   * completion's log-probability (see {@link CompletionExplainer}), the completion given or the
   * model's greedy one. Priced, admitted and cancellable like {@link #explain}.
   *
   * @throws InvalidRequestException no prompt, an empty completion, prompt and completion beyond
   *     the context, or a method that does not explain generated text
   * @throws io.maaskit.model.error.NotSupportedException Integrated Gradients where no engine
   *     computes gradients (the message names occlusion, which runs here)
   */
  public CompletionExplanation explainCompletion(
      CompletionExplainRequest request, Cancellation cancellation) {
    String model = request.model() != null ? request.model() : defaultGenerator;
    if (model == null || model.isBlank()) {
      throw new InvalidRequestException(
          "'model' is required to explain generated text: name a generator package");
    }
    int steps = checkSteps(request.steps() == null ? defaultSteps : request.steps());
    ExplainMethod method = request.method();
    if (method != null && method != ExplainMethod.INTEGRATED_GRADIENTS && method != OCCLUSION) {
      throw new InvalidRequestException(
          "method '"
              + method.key()
              + "' does not explain generated text; the methods that do: "
              + COMPLETION_METHODS);
    }
    if (method == ExplainMethod.INTEGRATED_GRADIENTS && !registry.engines().gradients()) {
      throw new io.maaskit.model.error.NotSupportedException(
          "method 'integrated_gradients' needs gradients, and no engine this deployable carries"
              + " computes them; the method that runs here: occlusion");
    }
    if (request.prompt() == null && request.messages() == null) {
      throw new InvalidRequestException(
          "'prompt' (a text) or 'messages' (a conversation) is required to explain generated"
              + " text");
    }
    TextGenerator served =
        registry.get(ModelId.parse(model), Capability.GENERATOR, TextGenerator.class);
    int[] prompt =
        prompts.ids(
            new GenerateRequest(model, request.prompt(), request.messages(), null), served, model);
    if (method == null) {
      // As for classifiers: gradients where the model is served eagerly, occlusion on its graph.
      method =
          served instanceof ExplainableGenerator ? ExplainMethod.INTEGRATED_GRADIENTS : OCCLUSION;
    }
    int context = served.contextLength();
    int[] completion = null;
    int maxTokens;
    if (request.completion() != null) {
      if (request.maxTokens() != null) {
        throw new InvalidRequestException(
            "'max_tokens' limits a generated completion; this request gives 'completion'");
      }
      completion = served.tokenizer().encode(request.completion(), false);
      if (completion.length == 0) {
        throw new InvalidRequestException(
            "'completion' is empty: give the text to explain, or leave it out to explain the"
                + " model's greedy completion");
      }
      if (prompt.length + completion.length > context) {
        throw new InvalidRequestException(
            "the prompt ("
                + prompt.length
                + " tokens) plus the completion ("
                + completion.length
                + " tokens) is more than "
                + model
                + "'s context of "
                + context
                + " tokens: shorten either");
      }
      maxTokens = completion.length;
    } else {
      Prompts.requireRoom(prompt.length, context, model);
      maxTokens =
          request.maxTokens() != null
              ? request.maxTokens()
              : Math.min(DEFAULT_COMPLETION_TOKENS, context - prompt.length);
      if (maxTokens < 1 || prompt.length + maxTokens > context) {
        throw new InvalidRequestException(
            "'max_tokens' must be between 1 and "
                + (context - prompt.length)
                + " (what "
                + model
                + "'s context of "
                + context
                + " tokens leaves after the prompt), got "
                + maxTokens);
      }
    }
    boolean[] special = new boolean[prompt.length];
    for (int i = 0; i < prompt.length; i++) {
      special[i] = served.tokenizer().isSpecial(prompt[i]);
    }
    long total =
        completionCost(
            prompt.length,
            CompletionExplainer.ordinary(special).length,
            maxTokens,
            method,
            steps,
            request.perToken());
    if (completion == null) {
      total += prompt.length + maxTokens; // the greedy completion
    }
    if (maxCost > 0 && total > maxCost) {
      throw new PayloadTooLargeException(
          "explaining this completion with "
              + method.key()
              + (method == ExplainMethod.INTEGRATED_GRADIENTS ? " at " + steps + " steps" : "")
              + (request.perToken() ? " per token" : "")
              + " costs "
              + total
              + " token-passes; at most "
              + maxCost
              + " are allowed per request: send a shorter prompt or completion"
              + (method == ExplainMethod.INTEGRATED_GRADIENTS ? " or fewer steps" : ""));
    }
    try (Admission.Ticket ticket = admission.enter(cancellation)) {
      if (completion == null) {
        completion =
            CompletionExplainer.greedy(
                served,
                prompt,
                maxTokens,
                new java.util.HashSet<>(served.generationConfig().eosTokenIds()),
                ticket);
      }
      Integer baselineId = null;
      CompletionExplainer.Attribution a;
      if (method == OCCLUSION) {
        a =
            CompletionExplainer.occlusion(
                served, prompt, special, completion, request.perToken(), ticket);
      } else {
        ExplainableGenerator m =
            registry.getDifferentiable(
                ModelId.parse(model), Capability.GENERATOR, ExplainableGenerator.class);
        baselineId = baselineToken(m);
        a =
            CompletionExplainer.integratedGradients(
                m, prompt, special, baselineId, completion, steps, request.perToken(), ticket);
      }
      return completionExplanation(
          model, method, served, prompt, special, completion, baselineId, a);
    }
  }

  /**
   * The token that stands in for every non-special prompt token at Integrated Gradients' baseline:
   * the package's padding token where it names one, else its first end-of-sequence token.
   */
  public static int baselineToken(TextGenerator g) {
    String pad = g.generationConfig().specialTokens().get("pad_token");
    if (pad != null) {
      java.util.OptionalInt id = g.tokenizer().tokenId(pad);
      if (id.isPresent()) {
        return id.getAsInt();
      }
    }
    return g.generationConfig().eosTokenIds().get(0);
  }

  private static CompletionExplanation completionExplanation(
      String model,
      ExplainMethod method,
      TextGenerator g,
      int[] prompt,
      boolean[] special,
      int[] completion,
      Integer baselineId,
      CompletionExplainer.Attribution a) {
    List<CompletionExplanation.PromptToken> ptoks = new ArrayList<>(prompt.length);
    double sum = 0;
    for (int i = 0; i < prompt.length; i++) {
      float v = a.values()[i];
      if (!Float.isFinite(v)) {
        throw new IllegalStateException(
            "explanation of model '" + model + "' produced non-finite attributions");
      }
      sum += v;
      ptoks.add(
          new CompletionExplanation.PromptToken(
              prompt[i], g.tokenizer().decode(new int[] {prompt[i]}, false), special[i], v));
    }
    List<CompletionExplanation.CompletionToken> ctoks = new ArrayList<>(completion.length);
    double logprob = 0;
    for (int j = 0; j < completion.length; j++) {
      logprob += a.logprobs()[j];
      ctoks.add(
          new CompletionExplanation.CompletionToken(
              completion[j],
              g.tokenizer().decode(new int[] {completion[j]}, false),
              a.logprobs()[j]));
    }
    boolean ig = method == ExplainMethod.INTEGRATED_GRADIENTS;
    return new CompletionExplanation(
        model,
        method.key(),
        ptoks,
        g.tokenizer().decode(completion, true),
        ctoks,
        logprob,
        baselineId,
        ig ? a.baseline() : null,
        ig ? Math.abs(sum - (logprob - a.baseline())) : null,
        a.perToken());
  }

  /**
   * What explaining a completion costs, in token-passes: Integrated Gradients runs {@code steps}
   * gradient steps (each {@value #PASSES_PER_GRADIENT} passes) over prompt and completion, once per
   * completion token when {@code perToken}, plus the two end points; occlusion scores the prompt
   * and one variant per non-special prompt token ({@code ordinary}), each over prompt and
   * completion.
   */
  public static long completionCost(
      int promptTokens,
      int ordinary,
      int completionTokens,
      ExplainMethod method,
      int steps,
      boolean perToken) {
    long len = promptTokens + completionTokens;
    return method == OCCLUSION
        ? (ordinary + 1L) * len
        : len * ((long) PASSES_PER_GRADIENT * steps * (perToken ? completionTokens : 1) + 2);
  }

  /**
   * What explaining one tokenized input costs, in token-passes: its tokens times the forward passes
   * the method runs over them (a gradient step counts {@value #PASSES_PER_GRADIENT}: forward and
   * backward). Integrated Gradients: {@code steps} gradient steps plus the prediction and the two
   * end points; gradient × input: one gradient step plus the prediction; attention rollout: two
   * passes; occlusion: one pass per word plus the whole input.
   */
  public static long cost(Spans s, ExplainMethod method, int steps) {
    long len = s.length();
    return len
        * switch (method) {
          case INTEGRATED_GRADIENTS -> (long) PASSES_PER_GRADIENT * steps + 3;
          case GRADIENT_X_INPUT -> PASSES_PER_GRADIENT + 1;
          case ATTENTION_ROLLOUT -> 2;
          case OCCLUSION -> words(s).length + 1;
        };
  }

  private void checkCost(List<Spans> spans, ExplainMethod method, int steps) {
    long total = 0;
    for (Spans s : spans) {
      total += cost(s, method, steps);
    }
    if (maxCost > 0 && total > maxCost) {
      throw new PayloadTooLargeException(
          "explaining these inputs with "
              + method.key()
              + (method == ExplainMethod.INTEGRATED_GRADIENTS ? " at " + steps + " steps" : "")
              + " costs "
              + total
              + " token-passes; at most "
              + maxCost
              + " are allowed per request: send fewer or shorter inputs"
              + (method == ExplainMethod.INTEGRATED_GRADIENTS ? " or fewer steps" : ""));
    }
  }

  /** The label probabilities of one input, in an admission slot. */
  private static float[] predict(TextClassifier c, Spans s, Admission.Ticket ticket) {
    return ticket.run(s.length(), () -> c.classify(List.of(s.tokens()))[0]);
  }

  /**
   * Token contributions to the cosine similarity of two texts under an embedding model: for each
   * text, Integrated Gradients of cos(e(text), e(other)) with the other text's embedding held
   * fixed, from the same {@code [PAD]} baseline; label {@code similarity}, score the cosine.
   */
  private Explanations similarity(
      ExplainRequest request, List<String> texts, int steps, Cancellation cancellation) {
    if (texts.size() != 2) {
      throw new InvalidRequestException(
          "'target': 'similarity' needs exactly two inputs, got " + texts.size());
    }
    if (request.method() != null && request.method() != ExplainMethod.INTEGRATED_GRADIENTS) {
      throw new InvalidRequestException(
          "'target': 'similarity' supports method integrated_gradients only");
    }
    if (request.model() == null) {
      throw new InvalidRequestException("'target': 'similarity' needs a 'model' (an encoder)");
    }
    TextEncoder enc =
        registry.getDifferentiable(
            ModelId.parse(request.model()), Capability.ENCODER, TextEncoder.class);
    if (!(enc instanceof Explainable m)) {
      throw new InvalidRequestException(
          "model '"
              + request.model()
              + "' is an encoder whose architecture offers no explanations");
    }
    Spans[] s = {m.spans(texts.get(0)), m.spans(texts.get(1))};
    checkCost(List.of(s), ExplainMethod.INTEGRATED_GRADIENTS, steps);
    List<Explanation> out = new ArrayList<>(2);
    try (Admission.Ticket ticket = admission.enter(cancellation)) {
      for (int i = 0; i < 2; i++) {
        Attribution a = similarityGradients(m, s[i], s[1 - i], steps, ticket);
        List<TokenAttribution> tokens =
            request.words() ? words(texts.get(i), s[i], a.values()) : tokens(s[i], a.values());
        out.add(
            new Explanation(
                "similarity",
                a.score(),
                ExplainMethod.INTEGRATED_GRADIENTS.key(),
                tokens,
                a.gap()));
      }
    }
    return new Explanations(request.model(), out, s[0].length() + s[1].length());
  }

  /** Integrated Gradients of cos(pool(x), pool(other)) over x's token embeddings. */
  public static Attribution similarityGradients(Explainable m, Spans s, Spans other, int steps) {
    try (Admission.Ticket t = UNLIMITED.enter(Cancellation.NONE)) {
      return similarityGradients(m, s, other, steps, t);
    }
  }

  private static Attribution similarityGradients(
      Explainable m, Spans s, Spans other, int steps, Admission.Ticket ticket) {
    EagerEngine engine = m.engine();
    EagerEngine.Gradients grads = engine.gradients();
    engine.prepareThread();
    try (NDManager mg = engine.newManager()) {
      NDArray ref =
          unit(m.pooledFromEmbeddings(m.inputEmbeddings(other.tokens().ids(), mg), other.tokens()));
      NDArray x = m.inputEmbeddings(s.tokens().ids(), mg);
      NDArray x0 = m.inputEmbeddings(baselineIds(m, s), mg);
      float[] values =
          pathIntegral(
              s.length(),
              m.activationElements(1, s.length()),
              steps,
              x,
              x0,
              mg,
              ticket,
              (path, weight) -> {
                path.setRequiresGradient(true);
                boolean prev = grads.gradMode(true);
                try {
                  NDArray cos = cosine(m.pooledFromEmbeddings(path, s.tokens()), ref);
                  grads.backward(cos.mul(weight).sum());
                } finally {
                  grads.gradMode(prev);
                }
                return path.getGradient();
              });
      float[] c =
          ticket.run(
              2L * s.length(),
              () ->
                  cosine(m.pooledFromEmbeddings(x.concat(x0, 0), s.tokens()), ref).toFloatArray());
      double sum = 0;
      for (float v : values) {
        sum += v;
      }
      return new Attribution(values, c[0], c[1], Math.abs(sum - (c[0] - c[1])));
    }
  }

  /** The gradient of the explained quantity at a batch of path points, each row weighted. */
  @FunctionalInterface
  interface PathGradient {
    NDArray at(NDArray path, NDArray weights);
  }

  /**
   * Integrated Gradients' path integral, shared by every target: Gauss-Legendre nodes along x0 + a
   * (x - x0), run in batches under the memory budget; per token, (x - x0) · the integral.
   */
  static float[] pathIntegral(
      int len,
      long activationPerPath,
      int steps,
      NDArray x,
      NDArray x0,
      NDManager mg,
      Admission.Ticket ticket,
      PathGradient gradient) {
    GaussLegendre.Rule rule = GaussLegendre.of(steps);
    int chunk = (int) Math.max(1, Math.min(steps, GRAD_ACTIVATION_ELEMENTS / activationPerPath));
    NDArray delta = x.sub(x0);
    NDArray total = mg.zeros(new Shape(len, x.getShape().get(2)), DataType.FLOAT32);
    for (int from = 0; from < steps; from += chunk) {
      int to = Math.min(steps, from + chunk);
      try (NDManager cm = mg.newSubManager()) {
        float[] alpha = new float[to - from];
        float[] weight = new float[to - from];
        for (int k = from; k < to; k++) {
          alpha[k - from] = (float) rule.nodes()[k];
          weight[k - from] = (float) rule.weights()[k];
        }
        NDArray a = cm.create(alpha, new Shape(to - from, 1, 1)).toType(x.getDataType(), false);
        NDArray path = x0.add(a.mul(delta));
        NDArray w = cm.create(weight);
        ticket.run(
            (long) PASSES_PER_GRADIENT * (to - from) * len,
            () ->
                total.addi(
                    gradient.at(path, w).toType(DataType.FLOAT32, false).sum(new int[] {0})));
      }
    }
    return delta
        .squeeze(0)
        .toType(DataType.FLOAT32, false)
        .mul(total)
        .sum(new int[] {1})
        .toFloatArray();
  }

  private static NDArray unit(NDArray v) {
    NDArray f = v.toType(DataType.FLOAT32, false);
    return f.div(f.norm(new int[] {-1}, true));
  }

  /** Cosine of each row of {@code v} (B, H) with the unit vector {@code ref} (1, H), float32. */
  private static NDArray cosine(NDArray v, NDArray ref) {
    return unit(v).mul(ref).sum(new int[] {-1});
  }

  /** The explainable classifier {@code model}; 400 if it is not a classifier or not explainable. */
  public static Explainable classifier(ModelRegistry registry, String model) {
    TextClassifier c =
        registry.getDifferentiable(
            ModelId.parse(model), Capability.CLASSIFIER, TextClassifier.class);
    if (!(c instanceof Explainable e)) {
      throw new InvalidRequestException(
          "model '" + model + "' is a classifier whose architecture offers no explanations");
    }
    return e;
  }

  /**
   * One method's attributions for one tokenized input.
   *
   * @param values per token, in token order (specials included)
   * @param score the label's probability at the input
   * @param baseline the label's probability at the baseline (Integrated Gradients; else NaN)
   * @param gap |sum of values - (score - baseline)| (Integrated Gradients; else NaN)
   */
  public record Attribution(float[] values, float score, double baseline, double gap) {}

  /**
   * Attributions of {@code method} toward label index {@code label} (for tools and tests): {@code
   * m} must be {@link Explainable} for the gradient methods and rollout, a {@link TextClassifier}
   * for occlusion.
   */
  public static Attribution attribute(
      TextClassifier m, Spans s, ExplainMethod method, int label, int steps) {
    try (Admission.Ticket t = UNLIMITED.enter(Cancellation.NONE)) {
      return attribute(m, s, method, label, steps, t);
    }
  }

  private static Attribution attribute(
      TextClassifier c, Spans s, ExplainMethod method, int label, int steps, Admission.Ticket t) {
    Attribution a =
        method == OCCLUSION
            ? occlusion(c, s, label, t)
            : attributeOnce((Explainable) c, s, method, label, steps, t);
    if (!finite(a)) {
      // Our bug, never the caller's: a 500 that names the model rather than NaN in a 200.
      throw new IllegalStateException(
          "explanation of model '" + c.manifest().id() + "' produced non-finite attributions");
    }
    return a;
  }

  private static boolean finite(Attribution a) {
    for (float v : a.values()) {
      if (!Float.isFinite(v)) {
        return false;
      }
    }
    return Float.isFinite(a.score());
  }

  private static Attribution attributeOnce(
      Explainable m, Spans s, ExplainMethod method, int label, int steps, Admission.Ticket t) {
    return switch (method) {
      case INTEGRATED_GRADIENTS -> integratedGradients(m, s, label, steps, t);
      case GRADIENT_X_INPUT ->
          t.run(
              (long) (PASSES_PER_GRADIENT + 1) * s.length(), () -> gradientTimesInput(m, s, label));
      case ATTENTION_ROLLOUT ->
          t.run(
              2L * s.length(),
              () ->
                  new Attribution(
                      rollout(m, s),
                      probabilities(m, s.tokens().ids(), s)[label],
                      Double.NaN,
                      Double.NaN));
      case OCCLUSION -> throw new IllegalArgumentException("occlusion needs no gradients");
    };
  }

  /**
   * Leave-one-word-out on the model as served: p(x) - p(x without word w) for every word, the
   * variants batched under the memory budget (each batch in an admission slot); each piece of a
   * word gets an equal share of its word's value, so word aggregation gives the word's value back.
   */
  public static Attribution occlusion(TextClassifier c, Spans s, int label, Admission.Ticket t) {
    int[][] words = words(s);
    List<Tokens> variants = new ArrayList<>(words.length + 1);
    variants.add(s.tokens());
    for (int[] w : words) {
      variants.add(without(s, w[0], w[1]));
    }
    int len = s.length();
    int chunk =
        (int)
            Math.max(
                1,
                Math.min(
                    Batching.MAX_BATCH,
                    Batching.MAX_ACTIVATION_ELEMENTS / c.activationElements(1, len)));
    float[] p = new float[variants.size()];
    for (int from = 0; from < variants.size(); from += chunk) {
      List<Tokens> sub = variants.subList(from, Math.min(variants.size(), from + chunk));
      float[][] rows = t.run((long) sub.size() * len, () -> c.classify(sub));
      for (int i = 0; i < rows.length; i++) {
        p[from + i] = rows[i][label];
      }
    }
    float[] values = new float[len];
    for (int k = 0; k < words.length; k++) {
      int[] w = words[k];
      float share = (p[0] - p[k + 1]) / (w[1] - w[0]);
      Arrays.fill(values, w[0], w[1], share);
    }
    return new Attribution(values, p[0], Double.NaN, Double.NaN);
  }

  /**
   * Token ranges {@code [start, end)} of the words (consecutive non-special pieces of one word).
   */
  static int[][] words(Spans s) {
    List<int[]> out = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      if (s.special()[i]) {
        i++;
        continue;
      }
      int j = i + 1;
      while (j < s.length() && !s.special()[j] && s.words()[j] == s.words()[i]) {
        j++;
      }
      out.add(new int[] {i, j});
      i = j;
    }
    return out.toArray(new int[0][]);
  }

  /** The tokens of {@code s} without those in {@code [from, to)}. */
  private static Tokens without(Spans s, int from, int to) {
    long[] ids = s.tokens().ids();
    long[] types = s.tokens().typeIds();
    int n = ids.length - (to - from);
    long[] i2 = new long[n];
    long[] t2 = new long[n];
    System.arraycopy(ids, 0, i2, 0, from);
    System.arraycopy(ids, to, i2, from, ids.length - to);
    System.arraycopy(types, 0, t2, 0, from);
    System.arraycopy(types, to, t2, from, types.length - to);
    return new Tokens(i2, t2);
  }

  /** Label probabilities of a variant {@code ids} of {@code s} (same length and segments). */
  public static float[] probabilities(Explainable m, long[] ids, Spans s) {
    m.engine().prepareThread();
    try (NDManager mg = m.engine().newManager()) {
      NDArray logits = m.logitsFromEmbeddings(m.inputEmbeddings(ids, mg), s.tokens());
      return logits.softmax(-1).toType(DataType.FLOAT32, false).toFloatArray();
    }
  }

  /** The baseline's token ids: specials kept, every other token {@code [PAD]}. */
  public static long[] baselineIds(Explainable m, Spans s) {
    long pad = m.padId();
    long[] ids = s.tokens().ids().clone();
    for (int i = 0; i < ids.length; i++) {
      if (!s.special()[i]) {
        ids[i] = pad;
      }
    }
    return ids;
  }

  private static Attribution integratedGradients(
      Explainable m, Spans s, int label, int steps, Admission.Ticket ticket) {
    EagerEngine engine = m.engine();
    EagerEngine.Gradients grads = engine.gradients();
    engine.prepareThread();
    try (NDManager mg = engine.newManager()) {
      NDArray x = m.inputEmbeddings(s.tokens().ids(), mg);
      NDArray x0 = m.inputEmbeddings(baselineIds(m, s), mg);
      float[] values =
          pathIntegral(
              s.length(),
              m.activationElements(1, s.length()),
              steps,
              x,
              x0,
              mg,
              ticket,
              (path, weight) -> gradient(m, grads, path, label, weight, s));
      // f(x) and f(baseline) as one batch of two.
      NDArray both = x.concat(x0, 0);
      float[] p =
          ticket.run(
              2L * s.length(),
              () ->
                  m.logitsFromEmbeddings(both, s.tokens())
                      .softmax(-1)
                      .toType(DataType.FLOAT32, false)
                      .toFloatArray());
      int labels = p.length / 2;
      double fx = p[label];
      double fb = p[labels + label];
      double sum = 0;
      for (float v : values) {
        sum += v;
      }
      return new Attribution(values, (float) fx, fb, Math.abs(sum - (fx - fb)));
    }
  }

  private static Attribution gradientTimesInput(Explainable m, Spans s, int label) {
    EagerEngine engine = m.engine();
    engine.prepareThread();
    try (NDManager mg = engine.newManager()) {
      NDArray x = m.inputEmbeddings(s.tokens().ids(), mg);
      NDArray g = gradient(m, engine.gradients(), x, label, mg.create(new float[] {1f}), s);
      float[] values =
          x.toType(DataType.FLOAT32, false)
              .mul(g.toType(DataType.FLOAT32, false))
              .sum(new int[] {0, 2})
              .toFloatArray();
      return new Attribution(
          values, probabilities(m, s.tokens().ids(), s)[label], Double.NaN, Double.NaN);
    }
  }

  /**
   * d(sum_k w_k p_label(inputs_k)) / d inputs: per batch row, its weight times the gradient of the
   * label's probability there. Grad mode is on only around the recorded forward pass.
   */
  private static NDArray gradient(
      Explainable m, EagerEngine.Gradients grads, NDArray inputs, int label, NDArray w, Spans s) {
    inputs.setRequiresGradient(true);
    boolean prev = grads.gradMode(true);
    try {
      NDArray p = m.logitsFromEmbeddings(inputs, s.tokens()).softmax(-1);
      NDArray f = p.get(new NDIndex(":, {}", label)).toType(DataType.FLOAT32, false);
      grads.backward(f.mul(w).sum());
    } finally {
      grads.gradMode(prev);
    }
    return inputs.getGradient();
  }

  private static float[] rollout(Explainable m, Spans s) {
    m.engine().prepareThread();
    int len = s.length();
    try (NDManager mg = m.engine().newManager()) {
      NDArray att = m.attentions(s.tokens(), mg).mean(new int[] {1}); // (layers, L, L)
      NDArray eye = mg.eye(len);
      NDArray r = eye;
      for (int l = 0; l < att.getShape().get(0); l++) {
        NDArray a = att.get(l).mul(0.5f).add(eye.mul(0.5f));
        a = a.div(a.sum(new int[] {1}, true));
        r = a.matMul(r);
      }
      boolean cls = "cls".equals(((TextClassifier) m).manifest().pooling());
      NDArray row = cls ? r.get(0) : r.mean(new int[] {0});
      return row.toFloatArray();
    }
  }

  private static List<TokenAttribution> tokens(Spans s, float[] v) {
    List<TokenAttribution> out = new ArrayList<>(s.length());
    for (int i = 0; i < s.length(); i++) {
      out.add(new TokenAttribution(s.pieces()[i], s.starts()[i], s.ends()[i], v[i]));
    }
    return out;
  }

  /** Sums the pieces of each word; a word's text is its span of the original text. */
  private static List<TokenAttribution> words(String text, Spans s, float[] v) {
    List<TokenAttribution> out = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      if (s.special()[i]) {
        out.add(new TokenAttribution(s.pieces()[i], s.starts()[i], s.ends()[i], v[i]));
        i++;
        continue;
      }
      int j = i;
      float sum = 0;
      int end = s.ends()[i];
      while (j < s.length() && !s.special()[j] && s.words()[j] == s.words()[i]) {
        sum += v[j];
        end = Math.max(end, s.ends()[j]);
        j++;
      }
      out.add(new TokenAttribution(text.substring(s.starts()[i], end), s.starts()[i], end, sum));
      i = j;
    }
    return out;
  }

  private static int checkSteps(int steps) {
    if (steps < 1 || steps > MAX_STEPS) {
      throw new InvalidRequestException(
          "'steps' must be between 1 and " + MAX_STEPS + ", got " + steps);
    }
    return steps;
  }

  static int argmax(float[] p) {
    int best = 0;
    for (int i = 1; i < p.length; i++) {
      if (p[i] > p[best]) {
        best = i;
      }
    }
    return best;
  }

  /** Most token-passes per request; 0 = no limit. */
  public long maxCost() {
    return maxCost;
  }

  /** The model used when a request names none. */
  public String defaultModel() {
    return defaultModel;
  }

  /** The generator whose completions are explained when a request names none; may be null. */
  public String defaultGenerator() {
    return defaultGenerator;
  }

  /** Most inputs per request. */
  public int maxInputs() {
    return maxInputs;
  }

  /** Integrated Gradients steps when a request gives none. */
  public int defaultSteps() {
    return defaultSteps;
  }
}
