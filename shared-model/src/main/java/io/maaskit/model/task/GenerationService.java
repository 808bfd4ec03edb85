package io.maaskit.model.task;

import io.maaskit.model.arch.GenerationConfig;
import io.maaskit.model.arch.TextGenerator;
import io.maaskit.model.arch.TextTokenizer;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.task.internal.DecodeJob;
import io.maaskit.model.task.internal.DecodeLoop;
import io.maaskit.model.task.internal.DecodeSequence;
import io.maaskit.model.task.internal.JsonText;
import io.maaskit.model.task.internal.OutputRules;
import io.maaskit.model.task.internal.Sampler;
import io.maaskit.model.task.internal.ToolCallParser;
import io.maaskit.model.task.internal.constraint.Grammar;
import io.maaskit.model.task.internal.constraint.Grammars;
import io.maaskit.model.task.internal.constraint.TokenAutomaton;
import java.security.SecureRandom;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * Text generation, the one loop every architecture and adapter shares: chat template, prompt checks
 * against the context, prefill and KV-cache decode, sampling (greedy, temperature, top-k, top-p,
 * seeded), penalties, stops (strings, token ids, end of sequence), {@code max_tokens},
 * log-probabilities and {@code n} choices. Requests to one generator share decode steps (continuous
 * batching) in a bounded {@link DecodeLoop}.
 *
 * <pre>{@code
 * GenerationService svc = new GenerationService(registry, "smollm2-135m-instruct", GenerationOptions.defaults());
 * Generation g = svc.generate(
 *     GenerateRequest.chat(null, List.of(new ChatMessage("user", "Hi")), SamplingParams.greedy(32)),
 *     Cancellation.NONE);
 * }</pre>
 *
 * <p>For streaming, {@link #start} validates and queues the request (every 4xx and 503 is thrown
 * from it, before a client has seen a byte) and a {@link GenerationListener} receives the text as
 * it becomes final.
 */
public final class GenerationService implements AutoCloseable {
  /** Most stop strings per request (OpenAI's limit). */
  public static final int MAX_STOPS = 4;

  /** Most alternatives per token in log-probabilities (OpenAI's limit). */
  public static final int MAX_TOP_LOGPROBS = 20;

  private static final SecureRandom SEEDS = new SecureRandom();

  private final java.util.function.Function<String, ModelRegistry.Lease<TextGenerator>> generators;
  private final String defaultModel;
  private final GenerationOptions options;
  private final Map<TextGenerator, DecodeLoop> loops = new IdentityHashMap<>();
  private final Map<TemplateKey, ChatTemplate> templates = new ConcurrentHashMap<>();

  /** Templates are compiled once per source and special tokens (one per generator package). */
  private record TemplateKey(String source, Map<String, String> specialTokens) {}

  /**
   * @param defaultModel the generator used when a request names none, or null to require a name
   */
  public GenerationService(ModelRegistry registry, String defaultModel, GenerationOptions options) {
    this.generators =
        name -> registry.lease(ModelId.parse(name), Capability.GENERATOR, TextGenerator.class);
    this.defaultModel = defaultModel;
    this.options = options;
    // A generator's decode thread ends with its model (superseded or evicted once idle).
    registry.onUnload(this::endLoop);
  }

  /**
   * A service over any source of generators (tools, tests).
   *
   * @param generators the generator a model name names; throws {@link
   *     io.maaskit.model.error.ModelNotFoundException} for an unknown one
   */
  public GenerationService(
      java.util.function.Function<String, TextGenerator> generators,
      String defaultModel,
      GenerationOptions options) {
    this.generators = name -> ModelRegistry.Lease.of(generators.apply(name));
    this.defaultModel = defaultModel;
    this.options = options;
  }

  /** The generator a request without a model gets, or null when requests must name one. */
  public String defaultModel() {
    return defaultModel;
  }

  /** The limits. */
  public GenerationOptions options() {
    return options;
  }

  /** A request being generated: what it resolved to, and its result. */
  public record Started(String model, int promptTokens, CompletableFuture<Generation> result) {
    /**
     * Waits for the result; rethrows the typed failure ({@link
     * io.maaskit.model.error.RequestCancelledException} when the caller went away).
     */
    public Generation await() {
      try {
        return result.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        result.cancel(false);
        throw new io.maaskit.model.error.RequestCancelledException(
            "request cancelled: its thread was interrupted");
      } catch (ExecutionException e) {
        throw rethrow(e.getCause());
      }
    }

    private static RuntimeException rethrow(Throwable t) {
      Throwable e = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
      if (e instanceof RuntimeException r) {
        return r;
      }
      return new IllegalStateException("generation failed: " + e, e);
    }
  }

  /** Generates a request's choices and waits for them. */
  public Generation generate(GenerateRequest request, Cancellation cancellation) {
    return start(request, cancellation, GenerationListener.NONE).await();
  }

  /** Generates, telling {@code listener} the text as it becomes final, and waits. */
  public Generation generate(
      GenerateRequest request, Cancellation cancellation, GenerationListener listener) {
    return start(request, cancellation, listener).await();
  }

  /**
   * Validates, tokenizes and queues a request. Every client error is thrown here: {@link
   * InvalidRequestException} (400) for bad fields, an empty or unrenderable conversation, or a
   * prompt plus {@code max_tokens} beyond the context; {@link
   * io.maaskit.model.error.ModelNotFoundException} (404); {@link
   * io.maaskit.model.error.OverloadedException} (503) when the generator's queue is full.
   */
  public Started start(
      GenerateRequest request, Cancellation cancellation, GenerationListener listener) {
    SamplingParams p = request.sampling();
    String model = request.model() == null ? defaultModel : request.model();
    if (model == null || model.isBlank()) {
      throw new InvalidRequestException("'model' is required: name a generator package");
    }
    checkParams(p);
    checkTools(request);
    // Held until the request's result is complete: the model is not unloaded under its sequences.
    ModelRegistry.Lease<TextGenerator> lease = generators.apply(model);
    try {
      Started s = start(request, cancellation, listener, model, lease.model());
      // The caller sees the result once the lease is back (and a superseded model unloaded).
      return new Started(
          s.model(), s.promptTokens(), s.result().whenComplete((r, t) -> lease.close()));
    } catch (RuntimeException e) {
      lease.close();
      throw e;
    }
  }

  private Started start(
      GenerateRequest request,
      Cancellation cancellation,
      GenerationListener listener,
      String model,
      TextGenerator g) {
    SamplingParams p = request.sampling();
    GenerationConfig cfg = g.generationConfig();
    int[] prompt = prompt(request, g, cfg, model);
    Shape shape = shape(request, g, cfg);
    int context = g.contextLength();
    if (prompt.length >= context) {
      throw new InvalidRequestException(
          "the prompt has "
              + prompt.length
              + " tokens; "
              + model
              + "'s context holds "
              + context
              + " (prompt and completion together): shorten the prompt");
    }
    int maxTokens;
    if (p.maxTokens() != null) {
      maxTokens = p.maxTokens();
      if (prompt.length + maxTokens > context) {
        throw new InvalidRequestException(
            "the prompt ("
                + prompt.length
                + " tokens) plus max_tokens ("
                + maxTokens
                + ") is more than "
                + model
                + "'s context of "
                + context
                + " tokens: lower max_tokens to at most "
                + (context - prompt.length)
                + " or shorten the prompt");
      }
    } else {
      maxTokens = Math.min(options.defaultMaxTokens(), context - prompt.length);
    }
    Set<Integer> stopIds = new LinkedHashSet<>(cfg.eosTokenIds());
    if (p.stopTokenIds() != null) {
      for (Integer id : p.stopTokenIds()) {
        if (id == null || id < 0 || id >= g.vocabSize()) {
          throw new InvalidRequestException(
              "'stop_token_ids' has " + id + "; token ids run from 0 to " + (g.vocabSize() - 1));
        }
        stopIds.add(id);
      }
    }
    Sampler.Settings settings =
        new Sampler.Settings(
            or(p.temperature(), cfg, "temperature", 1.0),
            or(p.topP(), cfg, "top_p", 1.0),
            p.topK() != null ? p.topK() : (int) or(null, cfg, "top_k", 0.0),
            or(p.repetitionPenalty(), cfg, "repetition_penalty", 1.0),
            p.presencePenalty() == null ? 0 : p.presencePenalty(),
            p.frequencyPenalty() == null ? 0 : p.frequencyPenalty());
    int n = p.n() == null ? 1 : p.n();
    SplittableRandom seeds = new SplittableRandom(p.seed() != null ? p.seed() : SEEDS.nextLong());
    DecodeJob job = new DecodeJob(model, prompt.length, cancellation);
    for (int i = 0; i < n; i++) {
      job.add(
          new DecodeSequence(
              job,
              i,
              g.tokenizer(),
              new Sampler(settings, seeds.nextLong(), prompt, g.vocabSize()),
              prompt,
              stopIds,
              p.stop() == null ? List.of() : p.stop(),
              maxTokens,
              p.topLogprobs(),
              listener,
              shape.rules()));
    }
    loop(g, model).submit(job);
    return new Started(model, prompt.length, job.result());
  }

  private static double or(Double given, GenerationConfig cfg, String key, double fallback) {
    if (given != null) {
      return given;
    }
    Double d = cfg.sampling().get(key);
    return d != null ? d : fallback;
  }

  private int[] prompt(
      GenerateRequest request, TextGenerator g, GenerationConfig cfg, String model) {
    if (request.isChat()) {
      List<ChatMessage> messages = request.messages();
      if (messages.isEmpty()) {
        throw new InvalidRequestException("'messages' must not be empty");
      }
      for (int i = 0; i < messages.size(); i++) {
        ChatMessage m = messages.get(i);
        if (m == null || m.role() == null || !ChatMessage.ROLES.contains(m.role())) {
          throw new InvalidRequestException(
              "'messages["
                  + i
                  + "].role' must be one of "
                  + new java.util.TreeSet<>(ChatMessage.ROLES)
                  + (m == null || m.role() == null ? "" : ", not '" + m.role() + "'"));
        }
        if (m.content() == null) {
          throw new InvalidRequestException("'messages[" + i + "].content' is required");
        }
      }
      String source =
          cfg.chatTemplate()
              .orElseThrow(
                  () ->
                      new InvalidRequestException(
                          model + " has no chat template: use /v1/completions with a prompt"));
      String text =
          template(source, cfg)
              .render(
                  messages,
                  true,
                  request.toolChoice().mode() == ToolChoice.Mode.NONE
                      ? List.of()
                      : request.tools());
      return g.tokenizer().encode(text, false);
    }
    if (request.prompt() == null) {
      throw new InvalidRequestException("'prompt' is required: the text to continue");
    }
    int[] ids = g.tokenizer().encode(request.prompt(), true);
    if (ids.length == 0) {
      throw new InvalidRequestException("'prompt' is empty: give the text to continue");
    }
    return ids;
  }

  private ChatTemplate template(String source, GenerationConfig cfg) {
    return templates.computeIfAbsent(
        new TemplateKey(source, cfg.specialTokens()),
        k -> new ChatTemplate(k.source(), k.specialTokens()));
  }

  /** Most (tokenizer, grammar) automata kept; each memoizes its states' allowed tokens. */
  private static final int MAX_AUTOMATA = 64;

  private record AutomatonKey(TextTokenizer tokenizer, int vocab, String grammar) {}

  private final Map<AutomatonKey, TokenAutomaton> automata =
      new java.util.LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<AutomatonKey, TokenAutomaton> e) {
          return size() > MAX_AUTOMATA;
        }
      };

  /** How each choice's output is shaped: its constraint (fresh per sequence) and tool parsing. */
  private record Shape(TokenAutomaton automaton, ToolCallParser parser, boolean onlyCall) {
    OutputRules rules() {
      return new OutputRules(
          automaton == null ? null : automaton.newConstraint(), parser, onlyCall);
    }
  }

  private Shape shape(GenerateRequest request, TextGenerator g, GenerationConfig cfg) {
    ResponseFormat format = request.responseFormat();
    ToolChoice choice = request.toolChoice();
    if (choice.mode() != ToolChoice.Mode.NONE && !request.tools().isEmpty()) {
      Grammars.CallFormat callFormat =
          callFormat(cfg.chatTemplate().map(src -> template(src, cfg).source()).orElse(""));
      List<Tool> callable = request.tools();
      if (choice.mode() == ToolChoice.Mode.FUNCTION) {
        callable =
            request.tools().stream().filter(t -> t.name().equals(choice.function())).toList();
      }
      ToolCallParser parser =
          new ToolCallParser(
              callFormat,
              callable.stream().map(Tool::name).collect(java.util.stream.Collectors.toSet()));
      if (choice.mode() == ToolChoice.Mode.AUTO) {
        return new Shape(automaton(g, format), parser, false);
      }
      List<Tool> fns = callable;
      String key =
          "tools:"
              + callFormat
              + ":"
              + canonical(
                  fns.stream()
                      .map(t -> java.util.Arrays.asList(t.name(), t.parameters()))
                      .toList());
      return new Shape(
          automaton(
              g,
              key,
              () ->
                  Grammars.toolCall(
                      fns.stream()
                          .map(t -> new Grammars.Function(t.name(), t.parameters()))
                          .toList(),
                      callFormat)),
          parser,
          true);
    }
    return new Shape(automaton(g, format), null, false);
  }

  /** The family's tool-call format, read from its chat template. */
  static Grammars.CallFormat callFormat(String template) {
    if (template.contains("<tool_call>")) {
      return Grammars.CallFormat.HERMES;
    }
    if (template.contains("<|python_tag|>") || template.contains("ipython")) {
      return Grammars.CallFormat.LLAMA3;
    }
    return Grammars.CallFormat.HERMES;
  }

  private TokenAutomaton automaton(TextGenerator g, ResponseFormat format) {
    return switch (format.type()) {
      case TEXT -> null;
      case JSON_OBJECT -> automaton(g, "json_object", Grammars::jsonObject);
      case JSON_SCHEMA ->
          automaton(
              g,
              "schema:" + canonical(format.schema()),
              () -> Grammars.schema(format.schema(), "response_format.json_schema.schema"));
    };
  }

  private TokenAutomaton automaton(
      TextGenerator g, String key, java.util.function.Supplier<Grammar> grammar) {
    AutomatonKey k = new AutomatonKey(g.tokenizer(), g.vocabSize(), key);
    synchronized (automata) {
      TokenAutomaton a = automata.get(k);
      if (a != null) {
        return a;
      }
    }
    // Compiled outside the lock: a bad schema throws its 400 here.
    TokenAutomaton a = TokenAutomaton.of(g.tokenizer(), g.vocabSize(), grammar.get());
    synchronized (automata) {
      return automata.computeIfAbsent(k, x -> a);
    }
  }

  private static String canonical(Object value) {
    try {
      return JsonText.write(value);
    } catch (IllegalArgumentException e) {
      throw new InvalidRequestException("the schema cannot be written as JSON: " + e.getMessage());
    }
  }

  private void checkTools(GenerateRequest request) {
    ResponseFormat format = request.responseFormat();
    if (format.type() == ResponseFormat.Type.JSON_SCHEMA && format.schema() == null) {
      throw new InvalidRequestException(
          "'response_format.json_schema.schema' is required for \"type\": \"json_schema\"");
    }
    List<Tool> tools = request.tools();
    ToolChoice choice = request.toolChoice();
    if (!tools.isEmpty() && !request.isChat()) {
      throw new InvalidRequestException("'tools' need a chat request ('messages')");
    }
    Set<String> names = new java.util.HashSet<>();
    for (int i = 0; i < tools.size(); i++) {
      Tool t = tools.get(i);
      if (t == null || t.name() == null || !t.name().matches("[A-Za-z0-9_.-]{1,64}")) {
        throw new InvalidRequestException(
            "'tools[" + i + "].function.name' must be 1 to 64 letters, digits, '_', '.' or '-'");
      }
      if (!names.add(t.name())) {
        throw new InvalidRequestException("'tools' declares '" + t.name() + "' twice");
      }
    }
    switch (choice.mode()) {
      case REQUIRED -> {
        if (tools.isEmpty()) {
          throw new InvalidRequestException("'tool_choice' is \"required\" but 'tools' is empty");
        }
      }
      case FUNCTION -> {
        if (!names.contains(choice.function())) {
          throw new InvalidRequestException(
              "'tool_choice' names the function '"
                  + choice.function()
                  + "', which 'tools' does not declare"
                  + (names.isEmpty() ? "" : " (declared: " + new java.util.TreeSet<>(names) + ")"));
        }
      }
      default -> {}
    }
    boolean forced =
        choice.mode() == ToolChoice.Mode.REQUIRED || choice.mode() == ToolChoice.Mode.FUNCTION;
    if (forced && format.type() != ResponseFormat.Type.TEXT) {
      throw new InvalidRequestException(
          "'response_format' and a forced 'tool_choice' cannot both shape the output: drop one");
    }
  }

  private void checkParams(SamplingParams p) {
    if (p.maxTokens() != null && p.maxTokens() < 1) {
      throw new InvalidRequestException("'max_tokens' must be at least 1, got " + p.maxTokens());
    }
    range("temperature", p.temperature(), 0, 2);
    if (p.topP() != null && !(p.topP() > 0 && p.topP() <= 1)) {
      throw new InvalidRequestException("'top_p' must be in (0, 1], got " + p.topP());
    }
    if (p.topK() != null && p.topK() < -1) {
      throw new InvalidRequestException(
          "'top_k' must be -1 or 0 (all tokens) or a positive count, got " + p.topK());
    }
    if (p.repetitionPenalty() != null
        && !(p.repetitionPenalty() > 0 && p.repetitionPenalty() <= 10)) {
      throw new InvalidRequestException(
          "'repetition_penalty' must be in (0, 10], got " + p.repetitionPenalty());
    }
    range("presence_penalty", p.presencePenalty(), -2, 2);
    range("frequency_penalty", p.frequencyPenalty(), -2, 2);
    if (p.n() != null && (p.n() < 1 || p.n() > options.maxChoices())) {
      throw new InvalidRequestException(
          "'n' must be from 1 to " + options.maxChoices() + ", got " + p.n());
    }
    if (p.topLogprobs() != null && (p.topLogprobs() < 0 || p.topLogprobs() > MAX_TOP_LOGPROBS)) {
      throw new InvalidRequestException(
          "top log-probabilities must be from 0 to "
              + MAX_TOP_LOGPROBS
              + ", got "
              + p.topLogprobs());
    }
    if (p.stop() != null) {
      if (p.stop().size() > MAX_STOPS) {
        throw new InvalidRequestException(
            "'stop' has " + p.stop().size() + " strings; at most " + MAX_STOPS + " are allowed");
      }
      for (String s : p.stop()) {
        if (s == null || s.isEmpty()) {
          throw new InvalidRequestException("'stop' strings must not be empty");
        }
      }
    }
  }

  private static void range(String field, Double v, double lo, double hi) {
    if (v != null && !(v >= lo && v <= hi)) {
      throw new InvalidRequestException(
          "'" + field + "' must be from " + fmt(lo) + " to " + fmt(hi) + ", got " + v);
    }
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }

  private synchronized DecodeLoop loop(TextGenerator g, String model) {
    return loops.computeIfAbsent(
        g, k -> new DecodeLoop(k, options.maxSequences(), options.maxQueuedRequests(), model));
  }

  private void endLoop(Object model) {
    DecodeLoop loop;
    synchronized (this) {
      loop = model instanceof TextGenerator g ? loops.remove(g) : null;
    }
    if (loop != null) {
      loop.close();
    }
  }

  /** Generators with a decode thread now. */
  public synchronized int decodeThreads() {
    return loops.size();
  }

  /** Sequences decoding now, over every generator. */
  public synchronized int activeSequences() {
    return loops.values().stream().mapToInt(DecodeLoop::activeSequences).sum();
  }

  /** Requests waiting for room in a batch now, over every generator. */
  public synchronized int queuedRequests() {
    return loops.values().stream().mapToInt(DecodeLoop::queued).sum();
  }

  /** Stops the decode loops; queued requests fail with 503. */
  @Override
  public synchronized void close() {
    loops.values().forEach(DecodeLoop::close);
    loops.clear();
  }
}
