package io.maaskit.functions.lambda;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A minimal Lambda Runtime API endpoint, written from AWS's documented wire format, for the
 * streaming function's tests: no emulator that streams can be run here (the Runtime Interface
 * Emulator buffers streamed responses), so this is the one protocol stand-in of the suite.
 *
 * <ul>
 *   <li><a href="https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html">Runtime API</a>:
 *       {@code GET /2018-06-01/runtime/invocation/next} answers the event with {@code
 *       Lambda-Runtime-Aws-Request-Id}, {@code Lambda-Runtime-Deadline-Ms}, {@code
 *       Lambda-Runtime-Invoked-Function-Arn} and {@code Lambda-Runtime-Trace-Id}; {@code POST
 *       …/invocation/{id}/response} and {@code …/error} answer {@code 202 Accepted}.
 *   <li><a
 *       href="https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming">Response
 *       streaming in a custom runtime</a>: the response is sent with {@code
 *       Lambda-Runtime-Function-Response-Mode: streaming} and {@code Transfer-Encoding: chunked};
 *       errors after the start arrive as the trailers {@code Lambda-Runtime-Function-Error-Type}
 *       and {@code Lambda-Runtime-Function-Error-Body}.
 *   <li><a
 *       href="https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode-lambda.html">API
 *       Gateway's streaming Lambda proxy format</a> (also a streaming Function URL's, content type
 *       {@code application/vnd.awslambda.http-integration-response}): metadata JSON, 8 NUL bytes,
 *       then the payload.
 * </ul>
 *
 * It reads each chunk as it arrives and hands it to the invocation's {@link ChunkObserver} before
 * reading the next, with a small receive buffer, so the test sees the order in which chunks left
 * the function relative to the generation's progress; an observer that returns false hangs up
 * (closes the connection mid-stream), as a caller that goes away does.
 */
final class RuntimeApiEndpoint implements AutoCloseable {
  /** Sees each chunk of a streamed response as it arrives; false hangs up. */
  @FunctionalInterface
  interface ChunkObserver {
    boolean accept(int index, byte[] chunk);
  }

  /** What the function posted for one invocation. */
  record Response(
      String path,
      Map<String, String> headers,
      List<byte[]> chunks,
      Map<String, String> trailers,
      boolean hungUp) {
    /** The whole body. */
    byte[] body() {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      chunks.forEach(b::writeBytes);
      return b.toByteArray();
    }
  }

  private record Invocation(
      String id,
      byte[] event,
      long deadlineMs,
      ChunkObserver observer,
      CompletableFuture<Response> done) {}

  private final ServerSocket server;
  private final BlockingQueue<Invocation> queue = new LinkedBlockingQueue<>();
  private final Map<String, Invocation> byId = new ConcurrentHashMap<>();
  private final Thread acceptor;
  private volatile boolean closed;

  RuntimeApiEndpoint() throws IOException {
    server = new ServerSocket();
    // Small, so that a function cannot run far ahead of what this endpoint has read: the
    // accepted sockets inherit it.
    server.setReceiveBufferSize(4096);
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    acceptor = new Thread(this::accept, "runtime-api-endpoint");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** {@code host:port}, as {@code AWS_LAMBDA_RUNTIME_API} gives it. */
  String address() {
    return "127.0.0.1:" + server.getLocalPort();
  }

  /** Queues an invocation; its response completes the future. */
  CompletableFuture<Response> invoke(byte[] event, long timeoutMs, ChunkObserver observer) {
    Invocation i =
        new Invocation(
            UUID.randomUUID().toString(),
            event,
            System.currentTimeMillis() + timeoutMs,
            observer,
            new CompletableFuture<>());
    byId.put(i.id(), i);
    queue.add(i);
    return i.done();
  }

  private void accept() {
    while (!closed) {
      try {
        Socket s = server.accept();
        Thread t = new Thread(() -> serve(s), "runtime-api-connection");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  /** Requests on one connection, until it closes. */
  private void serve(Socket s) {
    try (s) {
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      while (true) {
        String line = readLine(in);
        if (line == null || line.isEmpty()) {
          return;
        }
        String[] parts = line.split(" ");
        Map<String, String> headers = readHeaders(in);
        String path = parts[1];
        if (parts[0].equals("GET") && path.equals("/2018-06-01/runtime/invocation/next")) {
          Invocation i = queue.take();
          String head =
              "HTTP/1.1 200 OK\r\n"
                  + "Content-Type: application/json\r\n"
                  + "Lambda-Runtime-Aws-Request-Id: "
                  + i.id()
                  + "\r\nLambda-Runtime-Deadline-Ms: "
                  + i.deadlineMs()
                  + "\r\nLambda-Runtime-Invoked-Function-Arn: "
                  + "arn:aws:lambda:us-east-1:123456789012:function:maaskit-stream"
                  + "\r\nLambda-Runtime-Trace-Id: Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1"
                  + "\r\nContent-Length: "
                  + i.event().length
                  + "\r\n\r\n";
          out.write(head.getBytes(StandardCharsets.US_ASCII));
          out.write(i.event());
          out.flush();
        } else if (parts[0].equals("POST") && path.startsWith("/2018-06-01/runtime/invocation/")) {
          String id = path.split("/")[4];
          Invocation i = byId.get(id);
          Response r = readResponse(in, path, headers, i == null ? null : i.observer());
          if (i != null) {
            i.done().complete(r);
          }
          if (r.hungUp()) {
            return; // closes the connection mid-stream
          }
          out.write(
              ("HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 16"
                      + "\r\n\r\n{\"status\":\"OK\"}\n")
                  .getBytes(StandardCharsets.US_ASCII));
          out.flush();
        } else {
          out.write(
              "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
                  .getBytes(StandardCharsets.US_ASCII));
          out.flush();
        }
      }
    } catch (IOException | InterruptedException e) {
      // connection gone, or the endpoint closed
    }
  }

  private static Response readResponse(
      InputStream in, String path, Map<String, String> headers, ChunkObserver observer)
      throws IOException {
    List<byte[]> chunks = new ArrayList<>();
    Map<String, String> trailers = new LinkedHashMap<>();
    if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      while (true) {
        String size = readLine(in);
        if (size == null) {
          throw new IOException("the body ended without its last chunk");
        }
        int n = Integer.parseInt(size.split(";", 2)[0].trim(), 16);
        if (n == 0) {
          trailers.putAll(readHeaders(in));
          break;
        }
        byte[] chunk = in.readNBytes(n);
        readLine(in); // the CRLF after the data
        chunks.add(chunk);
        if (observer != null && !observer.accept(chunks.size() - 1, chunk)) {
          return new Response(path, headers, chunks, trailers, true);
        }
      }
    } else {
      int n = Integer.parseInt(headers.getOrDefault("content-length", "0"));
      chunks.add(in.readNBytes(n));
    }
    return new Response(path, headers, chunks, trailers, false);
  }

  private static Map<String, String> readHeaders(InputStream in) throws IOException {
    Map<String, String> h = new LinkedHashMap<>();
    for (String l = readLine(in); l != null && !l.isEmpty(); l = readLine(in)) {
      int colon = l.indexOf(':');
      h.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
    }
    return h;
  }

  /** A CRLF-terminated line, or null at the end of the stream. */
  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        byte[] line = b.toByteArray();
        int len = line.length > 0 && line[line.length - 1] == '\r' ? line.length - 1 : line.length;
        return new String(line, 0, len, StandardCharsets.ISO_8859_1);
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
  }
}
