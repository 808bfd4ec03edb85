/**
 * The PyTorch engine through DJL: offline natives from the classpath, thread and device set-up,
 * grad mode and gradient resets for training. The only package that may use {@code ai.djl.pytorch}.
 */
package io.maaskit.model.engine.pytorch;
