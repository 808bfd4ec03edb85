/**
 * The runtime every decoder architecture shares: per-sequence key/value caches ({@link
 * io.maaskit.model.arch.decoder.DecoderCache}), one batched forward step over sequences at
 * different lengths with causal attention against each sequence's own cache ({@link
 * io.maaskit.model.arch.decoder.DecoderBatch}), and the {@link io.maaskit.model.arch.TextGenerator}
 * around an architecture's network ({@link io.maaskit.model.arch.decoder.DecoderGenerator}). An
 * architecture package supplies only its {@link io.maaskit.model.arch.decoder.DecoderNetwork}.
 *
 * <p>On an engine that runs compiled graphs, every decoder architecture shares one more runtime:
 * the graph contract ({@link io.maaskit.model.arch.decoder.DecoderGraph}) and the generator over it
 * ({@link io.maaskit.model.arch.decoder.GraphDecoderGenerator}), whose key/value cache stays in the
 * engine's native memory between steps.
 */
package io.maaskit.model.arch.decoder;
