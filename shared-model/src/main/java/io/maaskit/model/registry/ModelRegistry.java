package io.maaskit.model.registry;

import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.error.ModelException;
import io.maaskit.model.error.ModelNotFoundException;
import io.maaskit.model.error.ModelUnavailableException;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.store.ModelStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lazy, single-flight model loading. Each model has an explicit state: {@code PENDING} (one load in
 * flight, every caller waits on the same future), {@code READY}, or {@code FAILED} (the error is
 * reported to every waiter; the next request after a growing backoff starts a fresh load — never
 * cached as failed forever, never retried in a hot loop).
 *
 * <pre>{@code
 * ModelRegistry registry = new ModelRegistry(store, loader, RegistryOptions.defaults());
 * TextEncoder enc = registry.get(ModelId.parse("all-minilm-l6-v2"), Capability.ENCODER, TextEncoder.class);
 * }</pre>
 */
public final class ModelRegistry implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);

  /** A model's lifecycle state. */
  public enum State {
    PENDING,
    READY,
    FAILED
  }

  /**
   * What {@link #status()} reports per model.
   *
   * @param engine the name of the engine serving a READY model, e.g. {@code onnxruntime} or {@code
   *     pytorch}; null otherwise
   */
  public record Status(
      String model, State state, String engine, String error, LoadStats stats, int failures) {}

  private final ModelStore store;
  private final PackageLoader loader;
  private final RegistryOptions options;
  private final Map<Key, Entry> entries = new ConcurrentHashMap<>();
  private final Map<String, Resolved> latest = new ConcurrentHashMap<>();

  private record Resolved(ModelId id, long atNanos) {}

  /** One loaded copy of a package: the serving one, or the one on the gradient engine. */
  private record Key(ModelId id, boolean gradients) {}

  private final ExecutorService loaders;
  private final AtomicInteger threadIds = new AtomicInteger();

  private static final class Entry {
    final ModelId id;
    final boolean gradients;
    final CompletableFuture<PackageLoader.Loaded> future = new CompletableFuture<>();
    final long startedNanos = System.nanoTime();
    final int failuresBefore;
    volatile long failedAtNanos;

    Entry(Key key, int failuresBefore) {
      this.id = key.id();
      this.gradients = key.gradients();
      this.failuresBefore = failuresBefore;
    }

    State state() {
      if (!future.isDone()) {
        return State.PENDING;
      }
      return future.isCompletedExceptionally() ? State.FAILED : State.READY;
    }
  }

  public ModelRegistry(ModelStore store, PackageLoader loader, RegistryOptions options) {
    this.store = store;
    this.loader = loader;
    this.options = options;
    this.loaders =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "model-loader-" + threadIds.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  /** How this registry picks the engine of each package. */
  public EngineChoice engines() {
    return loader.engines();
  }

  /** The store models come from. */
  public ModelStore store() {
    return store;
  }

  /**
   * Returns the loaded model, loading it on first use; waits at most the configured bound.
   *
   * @param capability what the caller needs; the package's manifest must declare it
   * @param type the capability's interface
   * @throws ModelNotFoundException if the store has no such model
   * @throws ModelUnavailableException if it is still loading or its last load failed recently
   * @throws InvalidRequestException if the model cannot do what {@code capability} asks
   */
  public <T> T get(ModelId ref, Capability capability, Class<T> type) {
    return checked(ref, get(ref), capability, type);
  }

  private static <T> T checked(ModelId ref, LoadedModel m, Capability capability, Class<T> type) {
    if (!m.manifest().capabilities().contains(capability) || !type.isInstance(m)) {
      throw new InvalidRequestException(
          "model '"
              + ref
              + "' is not a"
              + (capability == Capability.ENCODER ? "n " : " ")
              + capability.key()
              + " (it can do: "
              + m.manifest().capabilities().stream()
                  .map(Capability::key)
                  .collect(java.util.stream.Collectors.joining(", "))
              + ")");
    }
    return type.cast(m);
  }

  /** See {@link #get(ModelId, Capability, Class)}. */
  public LoadedModel get(ModelId ref) {
    ModelId id = resolve(ref);
    return await(id, entry(new Key(id, false)));
  }

  /**
   * Like {@link #get(ModelId, Capability, Class)}, on the engine that computes gradients (what
   * explanations need): the serving copy when its engine does, else a second copy of the package on
   * an engine with {@link io.maaskit.model.engine.Engine.Capability#GRADIENTS}, loaded on first use
   * like any model.
   *
   * @throws io.maaskit.model.error.NotSupportedException if this deployable has no engine that
   *     computes gradients (it serves on ONNX Runtime only)
   */
  public <T> T getDifferentiable(ModelId ref, Capability capability, Class<T> type) {
    EngineChoice engines = loader.engines();
    // Before any lookup or download: without an engine that computes gradients no package can be
    // explained here.
    engines.requireGradients();
    ModelId id = resolve(ref);
    Entry serving = entries.get(new Key(id, false));
    boolean reuse =
        engines.servesOnGradientEngine()
            || (serving != null
                && serving.state() == State.READY
                && serving
                    .future
                    .join()
                    .model()
                    .engine()
                    .hasCapability(io.maaskit.model.engine.Engine.Capability.GRADIENTS));
    return checked(ref, await(id, entry(new Key(id, !reuse))), capability, type);
  }

  private LoadedModel await(ModelId id, Entry e) {
    try {
      return e.future.get(options.loadWait().toMillis(), TimeUnit.MILLISECONDS).model();
    } catch (TimeoutException t) {
      long secs = (System.nanoTime() - e.startedNanos) / 1_000_000_000L;
      throw new ModelUnavailableException(
          "model '" + id + "' is still loading (" + secs + " s so far); retry shortly",
          Duration.ofSeconds(2));
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      throw new ModelUnavailableException(
          "interrupted while waiting for model '" + id + "'", Duration.ofSeconds(1));
    } catch (ExecutionException ex) {
      throw failure(id, e, ex.getCause());
    }
  }

  /** Starts loading a model in the background without waiting (SnapStart priming, warm-up). */
  public CompletableFuture<LoadedModel> preload(ModelId ref) {
    return entry(new Key(resolve(ref), false)).future.thenApply(PackageLoader.Loaded::model);
  }

  private ModelId resolve(ModelId ref) {
    if (ref.version() != null) {
      return ref;
    }
    // A version-less name is resolved at most once per TTL (one LIST, however many callers arrive
    // together): requests don't pay a store listing each, and a newly published version (a
    // retrained head, say) is picked up within the TTL. Failures are not remembered.
    long now = System.nanoTime();
    return latest
        .compute(
            ref.name(),
            (name, old) -> {
              if (old != null && now - old.atNanos() < options.latestTtl().toNanos()) {
                return old;
              }
              try {
                return new Resolved(store.resolve(ref), now);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            })
        .id();
  }

  private Entry entry(Key id) {
    // compute() makes "create or replace a failed entry whose backoff expired" atomic: exactly one
    // load starts no matter how many callers arrive together.
    Entry[] started = new Entry[1];
    Entry e =
        entries.compute(
            id,
            (k, old) -> {
              if (old != null
                  && (old.state() != State.FAILED || System.nanoTime() < retryAt(old))) {
                return old;
              }
              Entry fresh = new Entry(k, old == null ? 0 : old.failuresBefore + 1);
              started[0] = fresh;
              return fresh;
            });
    if (started[0] != null) {
      Entry fresh = started[0];
      loaders.execute(() -> runLoad(fresh));
    }
    return e;
  }

  private void runLoad(Entry e) {
    ModelManifest manifest;
    try {
      manifest = store.manifest(e.id);
    } catch (ModelNotFoundException nf) {
      // Keep entries only for models that exist: one per unknown name@version would let any
      // caller grow this map (and /info) without bound. Waiters already hold the future.
      entries.remove(new Key(e.id, e.gradients), e);
      LOG.debug("model {} not found: {}", e.id, nf.getMessage());
      e.future.completeExceptionally(nf);
      return;
    } catch (Throwable t) {
      e.failedAtNanos = System.nanoTime();
      LOG.warn("reading the manifest of {} failed: {}", e.id, t.toString());
      e.future.completeExceptionally(t);
      return;
    }
    try {
      checkBudget(manifest, e.gradients);
      PackageLoader.Loaded loaded = loader.load(manifest, e.gradients);
      LOG.info(loaded.stats().logLine());
      e.future.complete(loaded);
    } catch (Throwable t) {
      e.failedAtNanos = System.nanoTime();
      LOG.warn(
          "loading model {} failed (attempt {}): {}", e.id, e.failuresBefore + 1, t.toString());
      e.future.completeExceptionally(t);
    }
  }

  private void checkBudget(ModelManifest incoming, boolean gradients) {
    if (options.memoryBudgetBytes() <= 0) {
      return;
    }
    long used =
        entries.values().stream()
            .filter(x -> x.state() == State.READY)
            .mapToLong(x -> x.future.join().model().weightBytes())
            .sum();
    long needed = loader.expectedBytes(incoming, gradients);
    if (used + needed > options.memoryBudgetBytes()) {
      throw new ModelUnavailableException(
          "loading '"
              + incoming.id()
              + "' would exceed the memory budget of "
              + options.memoryBudgetBytes()
              + " bytes ("
              + used
              + " in use)",
          Duration.ofSeconds(60));
    }
  }

  private long retryAt(Entry e) {
    long backoff =
        Math.min(
            options.retryBackoff().toNanos() << Math.min(e.failuresBefore, 20),
            options.maxRetryBackoff().toNanos());
    return e.failedAtNanos + backoff;
  }

  private RuntimeException failure(ModelId id, Entry e, Throwable cause) {
    if (cause instanceof ModelNotFoundException nf) {
      return nf;
    }
    if (cause instanceof io.maaskit.model.error.NotSupportedException ns) {
      // This deployable cannot serve the package (e.g. no engine here runs any of its forms): not a
      // transient failure to retry.
      return ns;
    }
    long waitNanos = Math.max(0, retryAt(e) - System.nanoTime());
    Duration retry = Duration.ofSeconds(Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L));
    if (cause instanceof ModelUnavailableException mu) {
      return new ModelUnavailableException(mu.getMessage(), retry, mu);
    }
    String msg =
        cause instanceof ModelException || cause instanceof IOException
            ? cause.getMessage()
            : cause.toString();
    return new ModelUnavailableException("model '" + id + "' failed to load: " + msg, retry, cause);
  }

  /** State of every model this registry has seen. */
  public List<Status> status() {
    List<Status> out = new ArrayList<>();
    for (Entry e : entries.values()) {
      State s = e.state();
      String err = null;
      LoadStats stats = null;
      String engine = null;
      if (s == State.FAILED) {
        try {
          e.future.join();
        } catch (RuntimeException ex) {
          err = ex.getCause() == null ? ex.toString() : ex.getCause().getMessage();
        }
      } else if (s == State.READY) {
        PackageLoader.Loaded loaded = e.future.join();
        stats = loaded.stats();
        engine = loaded.model().engine().name();
      }
      out.add(
          new Status(
              e.id.toString(),
              s,
              engine,
              err,
              stats,
              e.failuresBefore + (s == State.FAILED ? 1 : 0)));
    }
    out.sort((a, b) -> a.model().compareTo(b.model()));
    return out;
  }

  /** Manifests of every package in the store. */
  public List<ModelManifest> available() {
    try {
      List<ModelManifest> out = new ArrayList<>();
      for (ModelId id : store.list()) {
        out.add(store.manifest(id));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    loaders.shutdownNow();
    for (Entry e : entries.values()) {
      if (e.state() == State.READY) {
        e.future.join().model().close();
      }
    }
    entries.clear();
    latest.clear();
  }
}
