package io.maaskit.functions.batch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.model.error.InvalidRequestException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The Files API over a {@link BatchStore}: uploads ({@code purpose=batch}) checked while they
 * stream in, the batches' output and error files, listing, content and deletion. A file is {@code
 * files/<id>/content} plus {@code files/<id>/meta.json}; the metadata is written last, so a file
 * exists only once it is whole, and a refused upload leaves nothing behind.
 *
 * <pre>{@code
 * BatchFiles.Upload u = files.begin("requests.jsonl");
 * u.write(bytes, 0, n);            // as the body arrives; throws at the first broken limit
 * FileObject f = u.finish("batch");
 * }</pre>
 */
public final class BatchFiles {
  /** OpenAI's limits for a batch input file. */
  public static final long MAX_BYTES = 200L * 1024 * 1024;

  public static final int MAX_LINES = 50_000;

  /** Longest first line held in memory to check that the file is JSONL. */
  static final int MAX_FIRST_LINE = 8 * 1024 * 1024;

  private static final Pattern ID = Pattern.compile("file-[A-Za-z0-9_-]{1,64}");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final BatchStore store;
  private final ObjectMapper json;
  private final Clock clock;
  private final long maxBytes;
  private final int maxLines;

  public BatchFiles(BatchStore store, ObjectMapper json, Clock clock, long maxBytes, int maxLines) {
    this.store = store;
    this.json = json;
    this.clock = clock;
    this.maxBytes = maxBytes;
    this.maxLines = maxLines;
  }

  static String newId(String kind) {
    byte[] b = new byte[12];
    RANDOM.nextBytes(b);
    return kind + "-" + HexFormat.of().formatHex(b);
  }

  static String metaKey(String id) {
    return "files/" + id + "/meta.json";
  }

  static String contentKey(String id) {
    return "files/" + id + "/content";
  }

  long now() {
    return clock.millis() / 1000;
  }

  /** Starts an upload into a temporary file. */
  public Upload begin(String filename) {
    try {
      return new Upload(filename, Files.createTempFile("maas-upload-", ".jsonl"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * One upload, fed as its bytes arrive: counts bytes and lines and checks that the first line is a
   * JSON object, refusing ({@link InvalidRequestException}) at the first broken limit. Not
   * thread-safe; {@link #abort()} or {@link #finish} always, to remove the temporary file.
   */
  public final class Upload implements AutoCloseable {
    private final String filename;
    private final Path temp;
    private final OutputStream out;
    private final ByteArrayOutputStream firstLine = new ByteArrayOutputStream();
    private boolean firstChecked;
    private boolean lineHasContent;
    private long bytes;
    private int lines;
    private boolean done;

    private Upload(String filename, Path temp) throws IOException {
      this.filename = filename == null || filename.isBlank() ? "upload.jsonl" : filename;
      this.temp = temp;
      this.out = Files.newOutputStream(temp);
    }

    /** Appends the next bytes of the file. */
    public void write(byte[] b, int off, int len) {
      bytes += len;
      if (bytes > maxBytes) {
        throw new InvalidRequestException(
            "the file is over the limit of " + maxBytes + " bytes for purpose 'batch'");
      }
      for (int i = off; i < off + len; i++) {
        byte c = b[i];
        if (c == 0) {
          throw new InvalidRequestException(
              "the file is not JSONL: it holds a NUL byte (binary data) on line " + (lines + 1));
        }
        if (c == '\n') {
          endLine();
        } else {
          if (c != ' ' && c != '\t' && c != '\r') {
            lineHasContent = true;
          }
          if (!firstChecked) {
            if (firstLine.size() >= MAX_FIRST_LINE) {
              throw new InvalidRequestException(
                  "the file's first line is longer than " + MAX_FIRST_LINE + " bytes");
            }
            firstLine.write(c);
          }
        }
      }
      try {
        out.write(b, off, len);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private void endLine() {
      if (!lineHasContent) {
        if (!firstChecked) {
          firstLine.reset();
        }
        return;
      }
      lineHasContent = false;
      lines++;
      if (lines > maxLines) {
        throw new InvalidRequestException(
            "the file has more than " + maxLines + " lines, the limit for purpose 'batch'");
      }
      if (!firstChecked) {
        checkFirstLine();
      }
    }

    private void checkFirstLine() {
      firstChecked = true;
      try {
        JsonNode n = json.readTree(firstLine.toByteArray());
        if (n == null || !n.isObject()) {
          throw new InvalidRequestException(
              "the file is not JSONL: line " + lines + " is not a JSON object");
        }
      } catch (JsonProcessingException e) {
        throw new InvalidRequestException(
            "the file is not JSONL: line "
                + lines
                + " is not JSON ("
                + e.getOriginalMessage()
                + ")");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } finally {
        firstLine.reset();
      }
    }

    /** Stores the file once every byte has arrived; {@code purpose} must be {@code batch}. */
    public FileObject finish(String purpose) {
      try {
        if (lineHasContent) {
          endLine();
        }
        out.close();
        if (purpose == null) {
          throw new InvalidRequestException("'purpose' is required: send purpose=batch");
        }
        if (!purpose.equals("batch")) {
          throw new InvalidRequestException(
              "'purpose' must be 'batch' (the only purpose this server takes), not '"
                  + purpose
                  + "'");
        }
        if (lines == 0) {
          throw new InvalidRequestException("the file is empty: send one JSON request per line");
        }
        FileObject f = FileObject.of(newId("file"), bytes, now(), filename, "batch");
        store(f, temp);
        return f;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } finally {
        abort();
      }
    }

    /** Drops the upload. */
    public void abort() {
      if (done) {
        return;
      }
      done = true;
      try {
        out.close();
        Files.deleteIfExists(temp);
      } catch (IOException e) {
        // a temporary file the OS cleans up
      }
    }

    @Override
    public void close() {
      abort();
    }
  }

  /** Stores a file's content, then its metadata; on failure removes the content again. */
  void store(FileObject f, Path content) throws IOException {
    store.put(contentKey(f.id()), content);
    try {
      store.put(metaKey(f.id()), json.writeValueAsBytes(f));
    } catch (IOException | RuntimeException e) {
      store.delete(contentKey(f.id()));
      throw e;
    }
  }

  /** A file's metadata. */
  public FileObject get(String id) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new BatchNotFoundException("no file '" + id + "'");
    }
    try {
      BatchStore.Stored s = store.get(metaKey(id));
      if (s == null) {
        throw new BatchNotFoundException("no file '" + id + "'");
      }
      return json.readValue(s.data(), FileObject.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A file's content (the caller closes it). */
  public InputStream content(String id) {
    get(id);
    try {
      InputStream in = store.open(contentKey(id));
      if (in == null) {
        throw new BatchNotFoundException("no content for file '" + id + "'");
      }
      return in;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Files, newest first, after the id {@code after}, at most {@code limit}. */
  public FileObject.Page list(String purpose, int limit, String after) {
    if (limit < 1 || limit > 10_000) {
      throw new InvalidRequestException("'limit' must be 1 to 10000, got " + limit);
    }
    try {
      List<FileObject> all = new ArrayList<>();
      for (String key : store.list("files/")) {
        if (key.endsWith("/meta.json")) {
          BatchStore.Stored s = store.get(key);
          if (s != null) {
            FileObject f = json.readValue(s.data(), FileObject.class);
            if (purpose == null || purpose.equals(f.purpose())) {
              all.add(f);
            }
          }
        }
      }
      all.sort(
          java.util.Comparator.comparingLong(FileObject::createdAt)
              .reversed()
              .thenComparing(FileObject::id));
      int from = 0;
      if (after != null) {
        for (int i = 0; i < all.size(); i++) {
          if (all.get(i).id().equals(after)) {
            from = i + 1;
          }
        }
      }
      List<FileObject> page = all.subList(from, Math.min(all.size(), from + limit));
      return new FileObject.Page(
          "list",
          List.copyOf(page),
          page.isEmpty() ? null : page.get(0).id(),
          page.isEmpty() ? null : page.get(page.size() - 1).id(),
          from + limit < all.size());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Deletes a file: metadata first, so it stops existing at once. */
  public FileObject.Deleted delete(String id) {
    get(id);
    try {
      store.delete(metaKey(id));
      store.delete(contentKey(id));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new FileObject.Deleted(id, "file", true);
  }
}
