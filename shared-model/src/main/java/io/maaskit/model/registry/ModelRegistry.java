package io.maaskit.model.registry;

import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.error.ModelException;
import io.maaskit.model.error.ModelNotFoundException;
import io.maaskit.model.error.ModelUnavailableException;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.registry.internal.PackageLoader;
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
 * <p>Models also go: a version superseded by a newer one (a retrained head picked up after {@link
 * RegistryOptions#latestTtl()}) is unloaded once nothing uses it, and when a load needs more of the
 * memory budget than is free, idle models are unloaded least recently used first (a 503 only when
 * the models in use leave no room). "In use" is counted by {@link Lease}s; a model handed out by
 * {@link #get(ModelId)} without one counts as in use for {@link RegistryOptions#idleAfter()} after
 * that call. {@link #unloaded()} keeps what was unloaded and why, for {@code /info}.
 *
 * <pre>{@code
 * ModelRegistry registry = new ModelRegistry(store, loader, RegistryOptions.defaults());
 * try (var lease = registry.lease(ModelId.parse("all-minilm-l6-v2"), Capability.ENCODER, TextEncoder.class)) {
 *   float[][] v = lease.model().encode(texts, Pooling.MEAN, true);
 * }
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

  /**
   * A model that was loaded and is not any more (what {@code /info} lists).
   *
   * @param reason why: superseded by a newer version, or evicted for another model's memory
   * @param bytes what it held of the memory budget
   * @param at when, as an ISO-8601 instant
   */
  public record Unloaded(String model, String reason, long bytes, String at) {}

  /**
   * A model held for one use: it is not unloaded (superseded or evicted) until every lease on it is
   * closed. Close it when the work is done.
   */
  public interface Lease<T> extends AutoCloseable {
    /** The leased model. */
    T model();

    @Override
    void close();

    /** A lease on a model no registry manages (tools, tests): closing it does nothing. */
    static <T> Lease<T> of(T model) {
      return new Lease<>() {
        @Override
        public T model() {
          return model;
        }

        @Override
        public void close() {}
      };
    }
  }

  /** How long {@link #close()} waits for requests still running on a model. */
  static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

  /** Most entries {@link #unloaded()} keeps. */
  static final int UNLOADED_HISTORY = 32;

  private final ModelStore store;
  private final PackageLoader loader;
  private final RegistryOptions options;
  private final Map<Key, Entry> entries = new ConcurrentHashMap<>();
  private final Map<String, Resolved> latest = new ConcurrentHashMap<>();

  private record Resolved(ModelId id, long atNanos) {}

  /** One loaded copy of a package: the serving one, or the one on the gradient engine. */
  private record Key(ModelId id, boolean gradients) {}

  private final ExecutorService loaders;
  private final java.util.concurrent.ScheduledExecutorService reaper;
  private final AtomicInteger threadIds = new AtomicInteger();
  private final Object budget = new Object();
  private final java.util.Deque<Unloaded> unloaded = new java.util.ArrayDeque<>();
  private final List<java.util.function.Consumer<LoadedModel>> unloadListeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  private static final class Entry {
    final ModelId id;
    final boolean gradients;
    final CompletableFuture<PackageLoader.Loaded> future = new CompletableFuture<>();
    final long startedNanos = System.nanoTime();
    final int failuresBefore;
    volatile long failedAtNanos;

    /** Budget bytes held while loading (the estimate), before the model reports its own. */
    volatile long reservedBytes;

    /** Last use, for least-recently-used eviction. */
    volatile long lastUsedNanos = System.nanoTime();

    /** Last hand-out without a lease (see {@link RegistryOptions#idleAfter()}). */
    volatile long unleasedUseNanos = Long.MIN_VALUE;

    // Guarded by this entry's monitor: leases open now, and whether it was unloaded.
    int leases;
    boolean gone;

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

    /** Budget bytes this entry holds: the model's own count once READY, the estimate before. */
    long bytes() {
      State s = state();
      if (s == State.READY) {
        return future.join().model().weightBytes();
      }
      return s == State.PENDING ? reservedBytes : 0;
    }

    synchronized boolean idle(long now, long graceNanos) {
      return leases == 0
          && (unleasedUseNanos == Long.MIN_VALUE || now - unleasedUseNanos >= graceNanos);
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
    // Superseded models that were handed out without a lease become idle with time alone.
    this.reaper =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "model-reaper");
              t.setDaemon(true);
              return t;
            });
    long period = Math.max(1000, Math.min(5000, options.idleAfter().toMillis()));
    reaper.scheduleWithFixedDelay(this::collectQuietly, period, period, TimeUnit.MILLISECONDS);
  }

  private void collectQuietly() {
    try {
      collect();
    } catch (RuntimeException e) {
      LOG.warn("unloading superseded models failed: {}", e.toString());
    }
  }

  /** How this registry picks the engine of each package. */
  public EngineChoice engines() {
    return loader.engines();
  }

  /** The limits this registry holds models to. */
  public RegistryOptions options() {
    return options;
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

  /**
   * See {@link #get(ModelId, Capability, Class)}. Without a lease the model counts as in use for
   * {@link RegistryOptions#idleAfter()}; services that run it longer take a {@link #lease}.
   */
  public LoadedModel get(ModelId ref) {
    ModelId id = resolve(ref);
    return acquire(new Key(id, false), false).future.join().model();
  }

  /**
   * The manifest of the model {@code ref} names, loading it if needed, without counting it as in
   * use after the call (what a caller needs to route a request by what the model can do).
   */
  public ModelManifest manifest(ModelId ref) {
    ModelId id = resolve(ref);
    Entry e = acquire(new Key(id, false), true);
    try {
      return e.future.join().model().manifest();
    } finally {
      release(e);
    }
  }

  /**
   * Like {@link #get(ModelId, Capability, Class)}, held until the lease is closed: a leased model
   * is never unloaded under its user.
   */
  public <T> Lease<T> lease(ModelId ref, Capability capability, Class<T> type) {
    ModelId id = resolve(ref);
    Entry e = acquire(new Key(id, false), true);
    try {
      return lease(e, checked(ref, e.future.join().model(), capability, type));
    } catch (RuntimeException x) {
      release(e);
      throw x;
    }
  }

  private <T> Lease<T> lease(Entry e, T model) {
    return new Lease<>() {
      private final java.util.concurrent.atomic.AtomicBoolean open =
          new java.util.concurrent.atomic.AtomicBoolean(true);

      @Override
      public T model() {
        return model;
      }

      @Override
      public void close() {
        if (open.compareAndSet(true, false)) {
          release(e);
        }
      }
    };
  }

  /**
   * Waits for the entry's model (loading it if needed) and marks it used: leased, or handed out
   * without a lease. An entry unloaded between lookup and use is looked up again (a fresh load).
   */
  private Entry acquire(Key key, boolean leased) {
    while (true) {
      Entry e = entry(key);
      await(key.id(), e);
      synchronized (e) {
        if (e.gone) {
          continue;
        }
        long now = System.nanoTime();
        e.lastUsedNanos = now;
        if (leased) {
          e.leases++;
        } else {
          e.unleasedUseNanos = now;
        }
        return e;
      }
    }
  }

  private void release(Entry e) {
    synchronized (e) {
      e.leases--;
      e.lastUsedNanos = System.nanoTime();
    }
    collect();
  }

  /**
   * Calls {@code listener} with each model just before it is unloaded (closed), so whatever serves
   * it (a generator's decode thread) ends with it.
   */
  public void onUnload(java.util.function.Consumer<LoadedModel> listener) {
    unloadListeners.add(listener);
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
    Entry e = acquire(new Key(id, !reuse), false);
    return checked(ref, e.future.join().model(), capability, type);
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
    Resolved before = latest.get(ref.name());
    ModelId id =
        latest
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
    if (before != null && !before.id().equals(id)) {
      collect(); // a newer version may already be loaded (asked for by its number)
    }
    return id;
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
      reserveBudget(e, manifest);
      PackageLoader.Loaded loaded = loader.load(manifest, e.gradients);
      LOG.info(loaded.stats().logLine());
      e.future.complete(loaded);
    } catch (BudgetExceeded b) {
      // Not a failure of the package: the next request checks the budget afresh (models in use
      // now may be idle by then), with no backoff.
      entries.remove(new Key(e.id, e.gradients), e);
      LOG.info("model {} not loaded: {}", e.id, b.getMessage());
      e.future.completeExceptionally(b);
      return;
    } catch (Throwable t) {
      e.reservedBytes = 0;
      e.failedAtNanos = System.nanoTime();
      LOG.warn(
          "loading model {} failed (attempt {}): {}", e.id, e.failuresBefore + 1, t.toString());
      e.future.completeExceptionally(t);
      return;
    }
    // A new version is READY: the one it supersedes goes once idle.
    collect();
  }

  /**
   * Reserves the bytes {@code e}'s load will hold; when the budget lacks them, unloads idle models,
   * least recently used first, until it does. Refuses (503) only when the models in use leave no
   * room.
   */
  private void reserveBudget(Entry e, ModelManifest incoming) {
    if (options.memoryBudgetBytes() <= 0) {
      return;
    }
    long needed = loader.expectedBytes(incoming, e.gradients);
    synchronized (budget) {
      long used = bytesInUse();
      if (used + needed > options.memoryBudgetBytes()) {
        long now = System.nanoTime();
        List<Entry> idle = new ArrayList<>();
        for (Entry x : entries.values()) {
          if (x != e && x.state() == State.READY && x.idle(now, options.idleAfter().toNanos())) {
            idle.add(x);
          }
        }
        idle.sort(java.util.Comparator.comparingLong(x -> x.lastUsedNanos));
        for (Entry x : idle) {
          if (used + needed <= options.memoryBudgetBytes()) {
            break;
          }
          long held = x.bytes();
          if (unload(x, "evicted (least recently used) to make room for '" + incoming.id() + "'")) {
            used -= held;
          }
        }
      }
      if (used + needed > options.memoryBudgetBytes()) {
        throw new BudgetExceeded(
            "loading '"
                + incoming.id()
                + "' would exceed the memory budget of "
                + options.memoryBudgetBytes()
                + " bytes ("
                + used
                + " held by models in use)",
            Duration.ofSeconds(5)); // models in use now are typically idle within seconds
      }
      e.reservedBytes = needed;
    }
  }

  /** The models in use leave no room in the memory budget for another. */
  private static final class BudgetExceeded extends ModelUnavailableException {
    BudgetExceeded(String message, Duration retryAfter) {
      super(message, retryAfter);
    }
  }

  /** Bytes of the memory budget held now: loaded models and loads in flight. */
  public long bytesInUse() {
    long used = 0;
    for (Entry x : entries.values()) {
      used += x.bytes();
    }
    return used;
  }

  /**
   * Unloads every READY model superseded by a newer READY version of its name (resolved through a
   * version-less reference), once nothing uses it. Runs after each load and each lease's end.
   */
  private void collect() {
    long now = System.nanoTime();
    for (Entry x : entries.values()) {
      if (x.state() != State.READY) {
        continue;
      }
      Resolved r = latest.get(x.id.name());
      if (r == null || r.id().equals(x.id)) {
        continue;
      }
      Entry newer = entries.get(new Key(r.id(), false));
      if (newer != null
          && newer.state() == State.READY
          && x.idle(now, options.idleAfter().toNanos())) {
        unload(x, "superseded by '" + r.id() + "'");
      }
    }
  }

  /**
   * Unloads {@code x} if it is idle: removes it (later callers load afresh), tells the listeners
   * and closes the model, freeing its memory.
   */
  private boolean unload(Entry x, String reason) {
    long held;
    synchronized (x) {
      if (x.gone || !x.idle(System.nanoTime(), options.idleAfter().toNanos())) {
        return false;
      }
      held = x.bytes();
      x.gone = true;
      entries.remove(new Key(x.id, x.gradients), x);
    }
    LoadedModel m = x.future.join().model();
    String name = x.id + (x.gradients ? " (gradients)" : "");
    LOG.info("model {} unloaded: {} ({} bytes returned to the budget)", name, reason, held);
    for (var l : unloadListeners) {
      try {
        l.accept(m);
      } catch (RuntimeException t) {
        LOG.warn("unload listener failed for {}: {}", name, t.toString());
      }
    }
    m.close();
    synchronized (unloaded) {
      unloaded.addFirst(new Unloaded(name, reason, held, java.time.Instant.now().toString()));
      while (unloaded.size() > UNLOADED_HISTORY) {
        unloaded.removeLast();
      }
    }
    return true;
  }

  private static boolean awaitIdle(Entry e, long giveUpNanos) {
    while (true) {
      synchronized (e) {
        if (e.leases == 0) {
          e.gone = true;
          return true;
        }
      }
      if (System.nanoTime() >= giveUpNanos) {
        return false;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException x) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }

  /** What was unloaded and why, newest first (at most {@value #UNLOADED_HISTORY}). */
  public List<Unloaded> unloaded() {
    synchronized (unloaded) {
      return List.copyOf(unloaded);
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
    if (cause instanceof BudgetExceeded b) {
      return new ModelUnavailableException(b.getMessage(), b.retryAfter(), b);
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
    reaper.shutdownNow();
    loaders.shutdownNow();
    long giveUp = System.nanoTime() + CLOSE_WAIT.toNanos();
    for (Entry e : entries.values()) {
      if (e.state() != State.READY) {
        continue;
      }
      // A model is never closed under a request still running on it (closing a native session
      // mid-run crashes the process): wait a little for its leases, else leave it to process exit.
      if (!awaitIdle(e, giveUp)) {
        LOG.warn(
            "model {} is still in use at shutdown; its memory is left to the process exit", e.id);
        continue;
      }
      LoadedModel m = e.future.join().model();
      unloadListeners.forEach(l -> l.accept(m));
      m.close();
    }
    entries.clear();
    latest.clear();
  }
}
