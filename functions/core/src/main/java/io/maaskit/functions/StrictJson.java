package io.maaskit.functions;

import com.fasterxml.jackson.core.io.IOContext;
import com.fasterxml.jackson.core.io.InputDecorator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;
import java.io.CharConversionException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;

/**
 * One JSON document per body: content after it ({@code {"inputs": "a"} {"inputs": "b"}}) is a 400,
 * not silently ignored; and the body must be well-formed UTF-8 (Jackson decodes overlong forms such
 * as {@code C0 AF} for {@code /} without complaint, which lets a byte filter in front see another
 * text than the model). Funqy reads HTTP and API Gateway bodies with a copy of this mapper, and the
 * queue's messages ({@link io.maaskit.functions.protocol.QueueJson}) are read with it: one mapper
 * configuration for every body.
 */
@Singleton
public class StrictJson implements ObjectMapperCustomizer {
  /** A mapper configured like the server's, for code that runs outside CDI (tests, tools). */
  public static ObjectMapper mapper() {
    ObjectMapper m = new ObjectMapper();
    new StrictJson().customize(m);
    return m;
  }

  @Override
  public void customize(ObjectMapper mapper) {
    mapper.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    mapper.getFactory().setInputDecorator(new StrictUtf8());
  }

  /** Wraps byte input in a strict UTF-8 check; character input is already decoded. */
  static final class StrictUtf8 extends InputDecorator {
    @Override
    public InputStream decorate(IOContext ctxt, InputStream in) {
      return new Utf8Check(in);
    }

    @Override
    public InputStream decorate(IOContext ctxt, byte[] src, int offset, int length) {
      return new Utf8Check(new java.io.ByteArrayInputStream(src, offset, length));
    }

    @Override
    public Reader decorate(IOContext ctxt, Reader r) {
      return r;
    }
  }

  /**
   * Passes bytes through and fails on anything but the shortest UTF-8 form of a scalar value (RFC
   * 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
   */
  static final class Utf8Check extends FilterInputStream {
    private int pending; // continuation bytes still expected
    private int lo = 0x80; // range of the next continuation byte
    private int hi = 0xBF;
    private long offset;

    Utf8Check(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        check(b);
      } else if (pending > 0) {
        throw invalid("truncated sequence at the end");
      }
      return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
      int n = super.read(buf, off, len);
      for (int i = 0; i < n; i++) {
        check(buf[off + i] & 0xFF);
      }
      if (n < 0 && pending > 0) {
        throw invalid("truncated sequence at the end");
      }
      return n;
    }

    private void check(int b) throws IOException {
      offset++;
      if (pending > 0) {
        if (b < lo || b > hi) {
          throw invalid("bad continuation byte");
        }
        pending--;
        lo = 0x80;
        hi = 0xBF;
        return;
      }
      if (b < 0x80) {
        return;
      }
      if (b >= 0xC2 && b <= 0xDF) {
        pending = 1;
      } else if (b == 0xE0) {
        pending = 2;
        lo = 0xA0;
      } else if (b == 0xED) {
        pending = 2;
        hi = 0x9F;
      } else if (b >= 0xE1 && b <= 0xEF) {
        pending = 2;
      } else if (b == 0xF0) {
        pending = 3;
        lo = 0x90;
      } else if (b >= 0xF1 && b <= 0xF3) {
        pending = 3;
      } else if (b == 0xF4) {
        pending = 3;
        hi = 0x8F;
      } else {
        throw invalid(b == 0xC0 || b == 0xC1 ? "overlong form" : "byte not allowed");
      }
    }

    private CharConversionException invalid(String why) {
      return new CharConversionException(
          "the body is not valid UTF-8 (" + why + " at byte " + offset + ")");
    }
  }
}
