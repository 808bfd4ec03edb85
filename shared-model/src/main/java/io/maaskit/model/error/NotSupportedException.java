package io.maaskit.model.error;

/**
 * The request is valid, but this deployable lacks what it needs: e.g. {@code /explain} needs
 * gradients, which only the PyTorch engine computes, and the Lambda zips carry ONNX Runtime alone.
 * Retrying does not help; the message says where the feature is available.
 */
public class NotSupportedException extends ModelException {
  public NotSupportedException(String message) {
    super(message);
  }
}
