package io.maaskit.tools.onnx;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Protocol Buffers wire format, write side only: varints, length-delimited fields and fixed32
 * floats, into a growing byte array. Just what an ONNX {@code ModelProto} needs.
 */
final class ProtoWriter {
  private byte[] buf = new byte[256];
  private int size;

  private void ensure(int extra) {
    if (size + extra > buf.length) {
      long want = Math.max((long) buf.length * 2, (long) size + extra);
      if (want > Integer.MAX_VALUE - 16) {
        throw new IllegalStateException("ONNX message over 2 GB: protobuf cannot hold it");
      }
      buf = Arrays.copyOf(buf, (int) want);
    }
  }

  private void raw(int b) {
    ensure(1);
    buf[size++] = (byte) b;
  }

  private void varint(long v) {
    while ((v & ~0x7FL) != 0) {
      raw((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    raw((int) v);
  }

  private void tag(int field, int wire) {
    varint(((long) field << 3) | wire);
  }

  /** A varint field (int32, int64, enum); negative values take ten bytes, as protobuf says. */
  ProtoWriter int64(int field, long v) {
    tag(field, 0);
    varint(v);
    return this;
  }

  /** A float field (fixed32). */
  ProtoWriter float32(int field, float v) {
    tag(field, 5);
    int bits = Float.floatToIntBits(v);
    ensure(4);
    for (int i = 0; i < 4; i++) {
      buf[size++] = (byte) (bits >>> (8 * i));
    }
    return this;
  }

  /** A string field (UTF-8). */
  ProtoWriter string(int field, String s) {
    return bytes(field, ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8)));
  }

  /** A bytes field. */
  ProtoWriter bytes(int field, ByteBuffer data) {
    ByteBuffer d = data.duplicate();
    tag(field, 2);
    varint(d.remaining());
    ensure(d.remaining());
    int n = d.remaining();
    d.get(buf, size, n);
    size += n;
    return this;
  }

  /** An embedded message field. */
  ProtoWriter message(int field, ProtoWriter m) {
    tag(field, 2);
    varint(m.size);
    ensure(m.size);
    System.arraycopy(m.buf, 0, buf, size, m.size);
    size += m.size;
    return this;
  }

  /** A packed repeated int64 field. */
  ProtoWriter packed(int field, long[] values) {
    ProtoWriter p = new ProtoWriter();
    for (long v : values) {
      p.varint(v);
    }
    tag(field, 2);
    varint(p.size);
    ensure(p.size);
    System.arraycopy(p.buf, 0, buf, size, p.size);
    size += p.size;
    return this;
  }

  int size() {
    return size;
  }

  /** The bytes written so far (no copy: valid until the next write). */
  ByteBuffer view() {
    return ByteBuffer.wrap(buf, 0, size);
  }
}
