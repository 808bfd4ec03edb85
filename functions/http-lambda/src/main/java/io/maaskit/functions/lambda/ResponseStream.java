package io.maaskit.functions.lambda;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * One streamed invocation response: a chunked {@code POST /2018-06-01/runtime/invocation/{id}/
 * response} to the Runtime API with {@code Lambda-Runtime-Function-Response-Mode: streaming}, each
 * {@link #chunk} one HTTP chunk sent at once, errors after the first byte in the trailers (<a
 * href="https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming">AWS:
 * response streaming in a custom runtime</a>, <a
 * href="https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html">the Runtime API</a>).
 * Written on a plain socket: the JDK's HTTP clients send no request trailers.
 *
 * <p>The Runtime API answers once the body is complete; an answer or a closed connection before
 * that means nobody reads the stream any more ({@link #gone()}), which cancels the generation.
 */
final class ResponseStream implements AutoCloseable {
  /**
   * Bytes the kernel may hold for the stream: events leave at the pace Lambda takes them, and a
   * caller that stops reading holds the decode loop (one invocation per execution environment)
   * instead of events piling up in memory.
   */
  static final int SEND_BUFFER = 8 * 1024;

  private final Socket socket;
  private final OutputStream out;
  private final Thread watcher;
  private volatile String gone;
  private volatile String answer;
  private boolean opened;
  private boolean finished;
  private int chunks;
  private Throwable failure;

  private ResponseStream(Socket socket) throws IOException {
    this.socket = socket;
    this.out = socket.getOutputStream();
    this.watcher = new Thread(this::watch, "runtime-api-response");
    this.watcher.setDaemon(true);
  }

  /** Opens the response of invocation {@code requestId} on the Runtime API at {@code api}. */
  static ResponseStream open(String api, String requestId) throws IOException {
    int colon = api.lastIndexOf(':');
    Socket s = new Socket();
    s.setTcpNoDelay(true);
    s.setSendBufferSize(SEND_BUFFER);
    s.connect(
        new InetSocketAddress(api.substring(0, colon), Integer.parseInt(api.substring(colon + 1))));
    ResponseStream r = new ResponseStream(s);
    String head =
        "POST "
            + StreamingRuntime.API
            + "/invocation/"
            + requestId
            + "/response HTTP/1.1\r\n"
            + "Host: "
            + api
            + "\r\n"
            + "Lambda-Runtime-Function-Response-Mode: streaming\r\n"
            + "Transfer-Encoding: chunked\r\n"
            + "Content-Type: "
            + StreamingRuntime.HTTP_INTEGRATION
            + "\r\n"
            + "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n"
            + "\r\n";
    r.out.write(head.getBytes(StandardCharsets.US_ASCII));
    r.out.flush();
    r.watcher.start();
    return r;
  }

  /** Reads the Runtime API's answer; one that comes before the body's end means the caller left. */
  private void watch() {
    try {
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
      String status = in.readLine();
      answer = status == null ? "the connection closed" : status;
    } catch (IOException e) {
      answer = "the connection failed: " + e.getMessage();
    }
    synchronized (this) {
      if (!finished) {
        gone = "the Runtime API ended the response stream (" + answer + ")";
      }
    }
  }

  /** Why nobody reads this stream any more, or null. */
  String gone() {
    return gone;
  }

  /** Whether the prelude (or anything) was sent. */
  synchronized boolean opened() {
    return opened;
  }

  /** Chunks sent. */
  synchronized int chunks() {
    return chunks;
  }

  /** The HTTP integration prelude: the first chunk. */
  synchronized void prelude(byte[] prelude) throws IOException {
    if (opened) {
      throw new IllegalStateException("the prelude is sent once, first");
    }
    chunk(prelude);
  }

  /** One chunk of the body, sent at once. */
  synchronized void chunk(byte[] data) throws IOException {
    if (gone != null) {
      throw new IOException(gone);
    }
    if (finished) {
      throw new IllegalStateException("the response is finished");
    }
    opened = true;
    if (data.length == 0) {
      return; // a zero-length chunk would end the body
    }
    try {
      out.write((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(data);
      out.write('\r');
      out.write('\n');
      out.flush();
      chunks++;
    } catch (IOException e) {
      gone = "writing to the Runtime API failed: " + e.getMessage();
      throw e;
    }
  }

  /** A failure after the prelude: reported in the trailers when the body ends. */
  synchronized void fail(Throwable t) {
    failure = t;
  }

  /** Ends the body (with the error trailers after {@link #fail}) and waits for the answer. */
  void finish() throws IOException {
    synchronized (this) {
      if (finished) {
        return;
      }
      finished = true;
      if (gone != null) {
        return;
      }
      StringBuilder end = new StringBuilder("0\r\n");
      if (failure != null) {
        String type = "Runtime." + failure.getClass().getSimpleName();
        String body =
            "{\"errorMessage\":\""
                + String.valueOf(failure.getMessage()).replace("\\", "\\\\").replace("\"", "'")
                + "\",\"errorType\":\""
                + type
                + "\"}";
        end.append("Lambda-Runtime-Function-Error-Type: ").append(type).append("\r\n");
        end.append("Lambda-Runtime-Function-Error-Body: ")
            .append(Base64.getEncoder().encodeToString(body.getBytes(StandardCharsets.UTF_8)))
            .append("\r\n");
      }
      end.append("\r\n");
      try {
        out.write(end.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
      } catch (IOException e) {
        gone = "writing to the Runtime API failed: " + e.getMessage();
        return;
      }
    }
    try {
      watcher.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    String a = answer;
    if (a == null || !a.matches("HTTP/1\\.[01] 2\\d\\d.*")) {
      throw new IOException("the Runtime API did not accept the response: " + a);
    }
  }

  @Override
  public void close() throws IOException {
    synchronized (this) {
      finished = true;
    }
    socket.close();
  }
}
